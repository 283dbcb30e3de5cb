//! The pinned, effective-dated price table (`prices.toml`) and what one API request cost under it.

use std::sync::LazyLock;

use serde::Deserialize;
use sessions_core::Timestamp;

use crate::transcript::Tokens;

/// The table every estimate uses: the data file compiled in, so that a cost never depends on
/// what a machine has lying around.
static PINNED: LazyLock<PriceTable> = LazyLock::new(|| {
    // The table's own test parses it, so this cannot fail in a build that passed its tests; if it
    // ever did, every model reads as unpriced rather than as free.
    PriceTable::parse(include_str!("prices.toml")).unwrap_or_default()
});

/// One of the five rates of a price row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Input,
    CacheWrite5m,
    CacheWrite1h,
    CacheRead,
    Output,
}

impl Rate {
    pub const ALL: [Rate; 5] = [
        Rate::Input,
        Rate::CacheWrite5m,
        Rate::CacheWrite1h,
        Rate::CacheRead,
        Rate::Output,
    ];

    /// The rate's name in `prices.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Rate::Input => "input",
            Rate::CacheWrite5m => "cache_write_5m",
            Rate::CacheWrite1h => "cache_write_1h",
            Rate::CacheRead => "cache_read",
            Rate::Output => "output",
        }
    }

    /// `n` tokens, all billed at this rate.
    pub fn tokens(self, n: u64) -> Tokens {
        let mut t = Tokens::default();
        *match self {
            Rate::Input => &mut t.input,
            Rate::CacheWrite5m => &mut t.cache_write_5m,
            Rate::CacheWrite1h => &mut t.cache_write_1h,
            Rate::CacheRead => &mut t.cache_read,
            Rate::Output => &mut t.output,
        } = n;
        t
    }
}

/// Where Claude Code's own estimate of a session's cost (`claude -p --output-format json`:
/// `total_cost_usd`, `modelUsage[...].costUSD`) prices a model otherwise than this table, as
/// measured and explained in the model's row (`[[model.client_rates]]`). Never used for pricing:
/// the test that compares the client with the table allows exactly these differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRates {
    /// The Claude Code release that was measured.
    pub claude_code: String,
    /// The rates are for requests whose prompt is above the long-context threshold; else for
    /// those at or below it.
    pub long_prompt: bool,
    /// Why the client differs, and which side Anthropic's pages support.
    pub reason: String,
    /// In thousandths of a dollar per million tokens, in `Rate::ALL` order; `None`: as the table.
    rates: [Option<u64>; 5],
}

impl ClientRates {
    /// What the client charges at `rate`, in thousandths of a dollar per million tokens, where
    /// it differs from the table.
    pub fn thousandths(&self, rate: Rate) -> Option<u64> {
        let i = Rate::ALL.iter().position(|r| *r == rate)?;
        self.rates[i]
    }
}

/// The price list: models, each with its dated rows.
#[derive(Debug, Default)]
pub struct PriceTable {
    models: Vec<Model>,
}

#[derive(Debug)]
struct Model {
    name: String,
    ids: Vec<String>,
    /// Oldest first; the first holds since the model's release.
    rows: Vec<Row>,
    client_rates: Vec<ClientRates>,
}

#[derive(Debug)]
struct Row {
    from: Option<Timestamp>,
    rates: Rates,
    long_context: Option<(u64, Rates)>,
}

/// Rates in thousandths of a dollar per million tokens: every published rate is a whole number
/// of them, so that tokens × rate is an exact count of nano-dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rates {
    input: u64,
    cache_write_5m: u64,
    cache_write_1h: u64,
    cache_read: u64,
    output: u64,
}

impl Rates {
    fn nanodollars(&self, t: &Tokens) -> u64 {
        [
            (t.input, self.input),
            (t.cache_write_5m, self.cache_write_5m),
            (t.cache_write_1h, self.cache_write_1h),
            (t.cache_read, self.cache_read),
            (t.output, self.output),
        ]
        .iter()
        .fold(0u64, |sum, (tokens, rate)| {
            sum.saturating_add(tokens.saturating_mul(*rate))
        })
    }
}

impl PriceTable {
    pub fn pinned() -> &'static PriceTable {
        &PINNED
    }

    /// Reads a table in the format of `prices.toml`, refusing one whose rows could price a
    /// request two ways (overlapping dates, a rate finer than a thousandth of a dollar).
    pub fn parse(text: &str) -> Result<PriceTable, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen_ids: Vec<&str> = Vec::new();
        let mut models = Vec::with_capacity(file.model.len());
        for model in &file.model {
            let named = |why: String| format!("{}: {why}", model.name);
            if model.ids.is_empty() || model.prices.is_empty() {
                return Err(named("needs ids and at least one price row".to_owned()));
            }
            for id in &model.ids {
                if seen_ids.contains(&id.as_str()) {
                    return Err(named(format!("id {id} is listed twice")));
                }
                seen_ids.push(id);
            }
            let mut rows: Vec<Row> = Vec::with_capacity(model.prices.len());
            for (i, row) in model.prices.iter().enumerate() {
                let from = match (&row.from, i) {
                    (None, 0) => None,
                    (Some(date), i) if i > 0 => Some(
                        Timestamp::parse("from", &format!("{date}T00:00:00Z"))
                            .map_err(|e| named(e.to_string()))?,
                    ),
                    _ => return Err(named("only the first row has no `from`".to_owned())),
                };
                if let (Some(from), Some(Some(before))) = (from, rows.last().map(|r| r.from))
                    && from <= before
                {
                    return Err(named("rows must be in date order".to_owned()));
                }
                let long_context = match &row.long_context {
                    Some(t) => Some((
                        t.above_prompt_tokens,
                        exact([
                            t.input,
                            t.cache_write_5m,
                            t.cache_write_1h,
                            t.cache_read,
                            t.output,
                        ])
                        .map_err(named)?,
                    )),
                    None => None,
                };
                let rates = [
                    row.input,
                    row.cache_write_5m,
                    row.cache_write_1h,
                    row.cache_read,
                    row.output,
                ];
                rows.push(Row {
                    from,
                    rates: exact(rates).map_err(named)?,
                    long_context,
                });
            }
            let client_rates = model
                .client_rates
                .iter()
                .map(|c| c.parse().map_err(named))
                .collect::<Result<_, _>>()?;
            models.push(Model {
                name: model.name.clone(),
                ids: model.ids.clone(),
                rows,
                client_rates,
            });
        }
        Ok(PriceTable { models })
    }

    /// Whether the table has a price for `model` at all.
    pub fn knows(&self, model: &str) -> bool {
        self.model(model).is_some()
    }

    /// What a request of `model` that used `tokens` cost, in nano-dollars, at the price in
    /// effect at `at` (no time: the latest price). `None` when the model has no price.
    pub fn nanodollars(&self, model: &str, at: Option<Timestamp>, tokens: &Tokens) -> Option<u64> {
        let rows = &self.model(model)?.rows;
        let row = match at {
            Some(at) => rows
                .iter()
                .rev()
                .find(|r| r.from.is_none_or(|from| from <= at)),
            None => rows.last(),
        }?;
        let rates = match row.long_context {
            Some((above, long)) if tokens.prompt() > above => long,
            _ => row.rates,
        };
        Some(rates.nanodollars(tokens))
    }

    /// Every model of the table: its name and the ids it prices (an id ending in `*` is a
    /// prefix of dated snapshots).
    pub fn models(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.models
            .iter()
            .map(|m| (m.name.as_str(), m.ids.as_slice()))
    }

    /// Where Claude Code's own estimate is documented to price `model` otherwise.
    pub fn client_rates(&self, model: &str) -> &[ClientRates] {
        self.model(model).map_or(&[], |m| m.client_rates.as_slice())
    }

    fn model(&self, model: &str) -> Option<&Model> {
        // `claude-sonnet-4-5[1m]`: the suffix picks a context window, not a price.
        let id = match model.split_once('[') {
            Some((id, rest)) if rest.ends_with(']') => id,
            _ => model,
        };
        self.models
            .iter()
            .find(|m| m.ids.iter().any(|pattern| matches(pattern, id)))
    }
}

/// An exact id, or a prefix ending in `*`.
fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => id == pattern,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    model: Vec<FileModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    name: String,
    ids: Vec<String>,
    prices: Vec<FileRow>,
    #[serde(default)]
    client_rates: Vec<FileClientRates>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileClientRates {
    claude_code: String,
    /// `short` or `long`, as the long_context tier counts a prompt.
    prompt: String,
    reason: String,
    input: Option<f64>,
    cache_write_5m: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    output: Option<f64>,
}

impl FileClientRates {
    fn parse(&self) -> Result<ClientRates, String> {
        let long_prompt = match self.prompt.as_str() {
            "short" => false,
            "long" => true,
            other => {
                return Err(format!(
                    "client_rates: prompt {other:?} is neither \"short\" nor \"long\""
                ));
            }
        };
        let given = [
            self.input,
            self.cache_write_5m,
            self.cache_write_1h,
            self.cache_read,
            self.output,
        ];
        if given.iter().all(Option::is_none) || self.reason.trim().is_empty() {
            return Err("client_rates: needs a reason and at least one rate".to_owned());
        }
        let mut rates = [None; 5];
        for (out, usd) in rates.iter_mut().zip(given) {
            *out = usd.map(thousandths).transpose()?;
        }
        Ok(ClientRates {
            claude_code: self.claude_code.clone(),
            long_prompt,
            reason: self.reason.clone(),
            rates,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRow {
    from: Option<String>,
    input: f64,
    cache_write_5m: f64,
    cache_write_1h: f64,
    cache_read: f64,
    output: f64,
    long_context: Option<FileTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTier {
    above_prompt_tokens: u64,
    input: f64,
    cache_write_5m: f64,
    cache_write_1h: f64,
    cache_read: f64,
    output: f64,
}

/// USD per million tokens as written in the file, in thousandths of a dollar.
fn exact(usd: [f64; 5]) -> Result<Rates, String> {
    let mut scaled = [0u64; 5];
    for (out, usd) in scaled.iter_mut().zip(usd) {
        *out = thousandths(usd)?;
    }
    let [input, cache_write_5m, cache_write_1h, cache_read, output] = scaled;
    Ok(Rates {
        input,
        cache_write_5m,
        cache_write_1h,
        cache_read,
        output,
    })
}

/// One rate in USD per million tokens, in thousandths of a dollar.
fn thousandths(usd: f64) -> Result<u64, String> {
    let scaled = usd * 1000.0;
    let whole = scaled.round();
    if !(usd.is_finite() && usd >= 0.0 && (scaled - whole).abs() < 1e-6) {
        return Err(format!(
            "rate {usd} is not a whole number of thousandths of a dollar"
        ));
    }
    Ok(whole as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MILLION: Tokens = Tokens {
        input: 1_000_000,
        cache_write_5m: 0,
        cache_write_1h: 0,
        cache_read: 0,
        output: 0,
    };

    fn at(day: &str) -> Option<Timestamp> {
        Some(Timestamp::parse("t", &format!("{day}T12:00:00Z")).unwrap())
    }

    /// The five rates of `model` at `day`, in dollars per million tokens, measured on 100,000
    /// tokens: a prompt short enough for every model's base rates.
    fn rates(model: &str, day: &str) -> [f64; 5] {
        let table = PriceTable::pinned();
        let one = |t: Tokens| table.nanodollars(model, at(day), &t).unwrap() as f64 / 1e8;
        let n = 100_000;
        [
            one(Tokens {
                input: n,
                ..Tokens::default()
            }),
            one(Tokens {
                cache_write_5m: n,
                ..Tokens::default()
            }),
            one(Tokens {
                cache_write_1h: n,
                ..Tokens::default()
            }),
            one(Tokens {
                cache_read: n,
                ..Tokens::default()
            }),
            one(Tokens {
                output: n,
                ..Tokens::default()
            }),
        ]
    }

    #[test]
    fn the_pinned_table_parses_and_gives_the_published_prices() {
        let table = PriceTable::parse(include_str!("prices.toml")).unwrap();
        assert!(table.models.len() >= 15);
        // DESIGN.md section 11's examples, and the page's rows.
        let day = "2026-11-28";
        for model in [
            "claude-sonnet-4-5-20250929",
            "claude-sonnet-4-6",
            "claude-sonnet-4-0",
        ] {
            assert_eq!(rates(model, day), [3.0, 3.75, 6.0, 0.30, 15.0], "{model}");
        }
        assert_eq!(
            rates("claude-haiku-4-5-20251001", day),
            [1.0, 1.25, 2.0, 0.10, 5.0]
        );
        for model in [
            "claude-opus-4-5-20251101",
            "claude-opus-4-6",
            "claude-opus-4-7",
            "claude-opus-4-8",
            "claude-opus-5",
        ] {
            assert_eq!(rates(model, day), [5.0, 6.25, 10.0, 0.50, 25.0], "{model}");
        }
        for model in [
            "claude-opus-4-1-20250805",
            "claude-opus-4-20250514",
            "claude-3-opus-20240229",
        ] {
            assert_eq!(
                rates(model, day),
                [15.0, 18.75, 30.0, 1.50, 75.0],
                "{model}"
            );
        }
        assert_eq!(rates("claude-sonnet-5", day), [2.0, 2.5, 4.0, 0.20, 10.0]);
        assert_eq!(rates("claude-opus-5-5", day), [4.0, 5.0, 8.0, 0.20, 20.0]);
        assert_eq!(
            rates("claude-fable-5-1", day),
            [10.0, 12.5, 20.0, 0.25, 50.0]
        );
        assert_eq!(rates("claude-mythos-5", day), [10.0, 12.5, 20.0, 1.0, 50.0]);
        assert_eq!(
            rates("claude-3-5-haiku-20241022", day),
            [0.80, 1.0, 1.6, 0.08, 4.0]
        );
        assert_eq!(
            rates("claude-3-haiku-20240307", day),
            [0.25, 0.30, 0.50, 0.03, 1.25]
        );
        assert_eq!(
            rates("claude-haiku-5-5", day),
            [0.10, 0.125, 0.20, 0.01, 0.50]
        );
    }

    #[test]
    fn sonnet_5_5_cache_reads_halve_from_2026_10_07() {
        assert_eq!(
            rates("claude-sonnet-5-5", "2026-10-06"),
            [2.0, 2.5, 4.0, 0.20, 10.0]
        );
        assert_eq!(
            rates("claude-sonnet-5-5", "2026-10-07"),
            [2.0, 2.5, 4.0, 0.10, 10.0]
        );
        let table = PriceTable::pinned();
        let reads = Tokens {
            cache_read: 1_000_000,
            ..Tokens::default()
        };
        let midnight = Timestamp::parse("t", "2026-10-07T00:00:00Z").ok();
        let before = Timestamp::parse("t", "2026-10-06T23:59:59.999Z").ok();
        assert_eq!(
            table.nanodollars("claude-sonnet-5-5", midnight, &reads),
            Some(100_000_000)
        );
        assert_eq!(
            table.nanodollars("claude-sonnet-5-5", before, &reads),
            Some(200_000_000)
        );
        // No time: the latest price.
        assert_eq!(
            table.nanodollars("claude-sonnet-5-5", None, &reads),
            Some(100_000_000)
        );
    }

    #[test]
    fn a_long_prompt_prices_every_token_of_its_request_at_the_tier() {
        let table = PriceTable::pinned();
        // Sonnet 4.5: 150,000 input + 50,000 cache read = 200,000: not above the threshold.
        let at_threshold = Tokens {
            input: 150_000,
            cache_read: 50_000,
            output: 1_000,
            ..Tokens::default()
        };
        // 150,000 × $3 + 50,000 × $0.30 + 1,000 × $15 = $0.45 + $0.015 + $0.015 = $0.48
        assert_eq!(
            table.nanodollars("claude-sonnet-4-5", at("2026-01-05"), &at_threshold),
            Some(480_000_000)
        );
        // One more token, written to the cache, and all of the request is at the tier:
        // 150,000 × $6 + 1 × $7.50 + 50,000 × $0.60 + 1,000 × $22.50
        // = $0.90 + $0.0000075 + $0.03 + $0.0225 = $0.9525075
        let over = Tokens {
            cache_write_5m: 1,
            ..at_threshold
        };
        assert_eq!(
            table.nanodollars("claude-sonnet-4-5", at("2026-01-05"), &over),
            Some(952_507_500)
        );

        // Sonnet 4.6 had the tier until 2026-03-13, not after.
        let long = Tokens {
            input: 300_000,
            output: 1_000,
            ..Tokens::default()
        };
        // 300,000 × $6 + 1,000 × $22.50 = $1.80 + $0.0225
        assert_eq!(
            table.nanodollars("claude-sonnet-4-6", at("2026-03-12"), &long),
            Some(1_822_500_000)
        );
        // 300,000 × $3 + 1,000 × $15 = $0.90 + $0.015
        assert_eq!(
            table.nanodollars("claude-sonnet-4-6", at("2026-03-13"), &long),
            Some(915_000_000)
        );

        // Haiku 5.5 above 100,000 prompt tokens: 100,001 × $0.50 + 2,000 × $2.50
        let haiku = Tokens {
            input: 100_001,
            output: 2_000,
            ..Tokens::default()
        };
        assert_eq!(
            table.nanodollars("claude-haiku-5-5", at("2026-11-01"), &haiku),
            Some(55_000_500)
        );
    }

    #[test]
    fn ids_match_exactly_or_as_dated_snapshots_and_unknown_ones_are_unpriced() {
        let table = PriceTable::pinned();
        for id in [
            "claude-sonnet-4-5",
            "claude-sonnet-4-5-20250929",
            "claude-sonnet-4-5-20250929[1m]",
            "claude-opus-4-6[1m]",
            "claude-opus-4-0",
            "claude-3-7-sonnet-latest",
        ] {
            assert!(table.knows(id), "{id}");
        }
        for id in [
            "claude-opus-4-9",
            "claude-opus-4",
            "claude-sonnet-4-7",
            "claude-haiku-6",
            "<synthetic>",
            "",
            "gpt-5",
            "claude-sonnet-4-5[1m",
        ] {
            assert!(!table.knows(id), "{id}");
            assert_eq!(table.nanodollars(id, None, &MILLION), None, "{id}");
        }
        // The most specific model wins where a prefix could mislead: Opus 4 is not Opus 4.5.
        assert_eq!(rates("claude-opus-4-5", "2026-11-28")[0], 5.0);
        assert_eq!(rates("claude-opus-4-20250514", "2026-11-28")[0], 15.0);
    }

    #[test]
    fn client_rates_are_read_for_the_comparison_and_never_price() {
        let row = "[[model.prices]]\ninput = 1.0\ncache_write_5m = 1.25\ncache_write_1h = 2.0\ncache_read = 0.1\noutput = 5.0\n";
        let with = |client: &str| {
            format!("[[model]]\nname = \"m\"\nids = [\"m\"]\n{row}[[model.client_rates]]\n{client}")
        };
        let documented = with(
            "claude_code = \"2.1.332\"\nprompt = \"long\"\nreason = \"r\"\ninput = 0.5\noutput = 7.25\n",
        );
        let table = PriceTable::parse(&documented).unwrap();
        let [client] = table.client_rates("m") else {
            panic!("one entry: {table:?}");
        };
        assert_eq!(
            (
                client.claude_code.as_str(),
                client.long_prompt,
                client.reason.as_str()
            ),
            ("2.1.332", true, "r")
        );
        let rates = Rate::ALL.map(|r| client.thousandths(r));
        assert_eq!(rates, [Some(500), None, None, None, Some(7250)]);
        // Pricing is the table's own.
        assert_eq!(
            table.nanodollars("m", None, &Rate::Input.tokens(1_000_000)),
            Some(1_000_000_000)
        );
        assert!(table.client_rates("other").is_empty());
        assert_eq!(
            table.models().collect::<Vec<_>>(),
            [("m", &["m".to_owned()][..])]
        );

        for (bad, why) in [
            (
                "claude_code = \"x\"\nprompt = \"medium\"\nreason = \"r\"\ninput = 0.5\n",
                "neither",
            ),
            (
                "claude_code = \"x\"\nprompt = \"short\"\nreason = \"r\"\n",
                "at least one rate",
            ),
            (
                "claude_code = \"x\"\nprompt = \"short\"\nreason = \" \"\ninput = 0.5\n",
                "a reason",
            ),
            (
                "claude_code = \"x\"\nprompt = \"short\"\nreason = \"r\"\ninput = 0.0001\n",
                "thousandths",
            ),
            (
                "claude_code = \"x\"\nprompt = \"short\"\nreason = \"r\"\ninptu = 0.5\n",
                "unknown field",
            ),
        ] {
            let err = PriceTable::parse(&with(bad)).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_table_that_could_price_a_request_two_ways_is_refused() {
        let row = "input = 1.0\ncache_write_5m = 1.25\ncache_write_1h = 2.0\ncache_read = 0.1\noutput = 5.0\n";
        let model = |ids: &str, rows: &[&str]| {
            let mut text = format!("[[model]]\nname = \"m\"\nids = {ids}\n");
            for extra in rows {
                text.push_str(&format!("[[model.prices]]\n{extra}{row}"));
            }
            text
        };
        assert!(PriceTable::parse(&model(r#"["a"]"#, &[""])).is_ok());
        assert!(PriceTable::parse(&model(r#"["a", "a"]"#, &[""])).is_err());
        assert!(PriceTable::parse(&model(r#"[]"#, &[""])).is_err());
        assert!(PriceTable::parse(&model(r#"["a"]"#, &[])).is_err());
        assert!(PriceTable::parse(&model(r#"["a"]"#, &["from = \"2026-01-01\"\n"])).is_err());
        assert!(PriceTable::parse(&model(r#"["a"]"#, &["", "",])).is_err());
        assert!(
            PriceTable::parse(&model(
                r#"["a"]"#,
                &["", "from = \"2026-02-01\"\n", "from = \"2026-01-01\"\n"]
            ))
            .is_err()
        );
        assert!(PriceTable::parse(&model(r#"["a"]"#, &["", "from = \"not a date\"\n"])).is_err());
        let fine = model(r#"["a"]"#, &[""]).replace("input = 1.0", "input = 1.0001");
        assert!(
            PriceTable::parse(&fine)
                .unwrap_err()
                .contains("thousandths")
        );
        let typo = model(r#"["a"]"#, &[""]).replace("output", "ouput");
        assert!(PriceTable::parse(&typo).is_err());
    }
}
