// Drives Debian's headless chromium through the HTML report (`cargo-ai report --html FILE`) the
// way a person would: opens FILE as file://, takes a full-page screenshot, then runs the given
// steps (type into the search box, pick a person or repository, click a column header, expand
// a title) and prints ONE JSON object of what it observed to stdout. It judges nothing: the
// end-to-end test (tests/e2e/report_html.rs) asserts on the observations.
//
//   node tests/browser/report.mjs FILE.html --screenshot OUT.png [--dark-screenshot OUT.png] [STEP...]
//   STEP: search=TEXT | person=ARN | repo=REPO | sort=COLUMN | expand=SESSION_ID
//         | pick=ARN (click that person's line in the People table)
//         | pickrepo=REPO (click that repository's line in the Repositories table)
//         (an empty value, e.g. `person=`, picks "everyone" / clears the search)
//
// Observed: every row (id, person, repo, title, summary and commits as text), the totals and the
// People and Repositories tables as their cells' text, the "N of M" line and the
// shown session ids after each step with the column sorted by, the charts' marks, the page
// background in light and dark mode, the screenshot's size and distinct colours, and every
// dialog, console error, page error and request that is not file:, data: or about:.
// The browser is /usr/bin/chromium (CHROMIUM overrides) with a fresh profile in a temp dir.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Headless, and nothing that talks to the network on its own.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const LOCAL_SCHEMES = new Set(["file:", "data:", "about:"]);
// One run is a page load and a few clicks; anything slower is a hang worth failing on.
const DEADLINE_MS = 90_000;

function parseArgs(argv) {
  const args = { html: null, screenshot: null, darkScreenshot: null, steps: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--screenshot") args.screenshot = argv[++i];
    else if (arg === "--dark-screenshot") args.darkScreenshot = argv[++i];
    else if (/^(search|person|repo|sort|expand|pick|pickrepo)=/.test(arg)) {
      const at = arg.indexOf("=");
      args.steps.push({ kind: arg.slice(0, at), value: arg.slice(at + 1) });
    } else if (!arg.startsWith("--") && args.html === null) args.html = arg;
    else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (!args.html || !args.screenshot) {
    throw new Error("usage: node report.mjs FILE.html --screenshot OUT.png [--dark-screenshot OUT.png] [STEP...]");
  }
  return args;
}

/** What the table shows now: the shown session ids in order, "N of M", and the sorted column. */
async function shownState(page) {
  return page.evaluate(() => {
    const sorted = document.querySelector("#sessions th[aria-sort]:not([aria-sort='none'])");
    return {
      // Shown means laid out on the page, not merely lacking the `hidden` attribute.
      shown: [...document.querySelectorAll("#sessions tbody tr.session")]
        .filter((tr) => tr.checkVisibility())
        .map((tr) => tr.dataset.sessionId),
      shown_text: document.querySelector("#shown")?.textContent.trim() ?? null,
      person: document.querySelector("#person")?.value ?? null,
      sort: sorted
        ? {
            column: sorted.querySelector("button[data-sort]")?.dataset.sort ?? null,
            order: sorted.getAttribute("aria-sort"),
          }
        : null,
    };
  });
}

async function runStep(page, { kind, value }) {
  if (kind === "search") await page.fill("#search", value);
  else if (kind === "person") await page.selectOption("#person", value);
  else if (kind === "repo") await page.selectOption("#repo", value);
  else if (kind === "sort") await page.click(`#sessions th button[data-sort="${value}"]`);
  else if (kind === "pick") await page.click(`.people tbody tr[data-person="${value}"]`);
  else if (kind === "pickrepo") await page.click(`.repos tbody tr[data-repo="${value}"]`);
  else if (kind === "expand") {
    const row = page.locator(`#sessions tr.session[data-session-id="${value}"]`);
    await row.locator("details > summary").click();
    return {
      open: await row.locator("details").evaluate((d) => d.open),
      summary_visible: await row.locator(".summary-text").isVisible(),
      commits_visible: await row.locator(".commits").isVisible(),
    };
  }
  return null;
}

/** Every row as rendered: ids and data attributes, and title and summary as a person reads them. */
async function rows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("#sessions tbody tr.session")].map((tr) => ({
      id: tr.dataset.sessionId,
      person: tr.dataset.person,
      repo: tr.dataset.repo,
      title: tr.querySelector("details > summary")?.textContent ?? null,
      summary: tr.querySelector(".summary-text")?.textContent ?? null,
      commits: [...tr.querySelectorAll(".commits li")].map((li) => ({
        sha: li.dataset.sha ?? null,
        text: li.textContent,
      })),
    })),
  );
}

/** The totals ("12 commits" as [value, label]) and the People and Repositories tables' cells. */
async function tables(page) {
  return page.evaluate(() => {
    const cells = (selector) =>
      [...document.querySelectorAll(selector)].map((tr) =>
        [...tr.cells].map((td) => td.textContent.trim()),
      );
    return {
      totals: [...document.querySelectorAll(".totals div")].map((d) => [
        d.querySelector("strong")?.textContent.trim() ?? null,
        d.querySelector("span")?.textContent.trim() ?? null,
      ]),
      people: cells(".people tr"),
      repos: cells(".repos tr"),
    };
  });
}

/** Each chart: absent (null), or how many marks (bars, paths, circles, lines) it draws. */
async function charts(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      ["chart-days", "chart-repo-cost", "chart-repo-active"].map((id) => {
        const svg = document.querySelector(`svg#${id}`);
        return [id, svg ? { marks: svg.querySelectorAll("rect, path, circle, line, polyline, polygon").length } : null];
      }),
    ),
  );
}

/** The colour behind the content: the body's background, or the root's when the body has none. */
async function background(page) {
  return page.evaluate(() => {
    const transparent = (c) => c === "transparent" || c === "rgba(0, 0, 0, 0)";
    const body = getComputedStyle(document.body).backgroundColor;
    const root = getComputedStyle(document.documentElement).backgroundColor;
    return { body, root, effective: transparent(body) ? root : body };
  });
}

/** Decodes the PNG in a blank page of the same browser and counts its distinct colours. */
async function pngFacts(context, png) {
  const page = await context.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = new Map();
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const top = Math.max(...counts.values());
      return {
        width: canvas.width,
        height: canvas.height,
        colours: counts.size,
        most_common_share: top / (canvas.width * canvas.height),
      };
    }, png.toString("base64"));
  } finally {
    await page.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const html = resolve(args.html);
  readFileSync(html); // fails with the path named when it is missing
  const observed = {
    browser: null,
    rows: [],
    tables: null,
    initial: null,
    steps: [],
    charts: null,
    background: null,
    screenshot: null,
    dialogs: [],
    console_errors: [],
    page_errors: [],
    requests: [],
  };
  const profile = mkdtempSync(join(tmpdir(), "sessions-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      colorScheme: "light",
      offline: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on("dialog", async (dialog) => {
      observed.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      await dialog.dismiss().catch(() => {});
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") observed.console_errors.push(msg.text());
    });
    page.on("pageerror", (err) => observed.page_errors.push(String(err)));
    page.on("request", (req) => {
      if (!LOCAL_SCHEMES.has(new URL(req.url()).protocol)) observed.requests.push(req.url());
    });
    page.on("websocket", (ws) => observed.requests.push(ws.url()));
    // Nothing leaves the machine even if the page asks: every http(s) request is recorded above
    // and refused here.
    await page.route(/^(https?|wss?):/, (route) => route.abort());

    await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
    observed.browser = context.browser()?.version() ?? null;
    observed.rows = await rows(page);
    observed.tables = await tables(page);
    observed.initial = await shownState(page);
    observed.charts = await charts(page);

    const png = await page.screenshot({ path: args.screenshot, fullPage: true });
    observed.screenshot = { path: args.screenshot, bytes: png.length, ...(await pngFacts(context, png)) };

    for (const step of args.steps) {
      const result = await runStep(page, step);
      observed.steps.push({ step: `${step.kind}=${step.value}`, ...(await shownState(page)), ...(result ?? {}) });
    }

    const light = await background(page);
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await background(page);
    if (args.darkScreenshot) await page.screenshot({ path: args.darkScreenshot, fullPage: true });
    observed.background = { light, dark };
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(observed)}\n`);
}

const deadline = setTimeout(() => {
  process.stderr.write(`error: the browser did not finish within ${DEADLINE_MS / 1000} s\n`);
  process.exit(2);
}, DEADLINE_MS);
deadline.unref();
main().catch((err) => {
  process.stderr.write(`error: ${err.stack ?? err}\n`);
  if (/executable doesn't exist/i.test(String(err))) {
    process.stderr.write(`help: install chromium with infra/tools/system-packages (Debian package chromium at ${CHROMIUM})\n`);
  }
  process.exit(1);
});
