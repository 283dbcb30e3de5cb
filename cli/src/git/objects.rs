//! Git objects read straight from `.git/objects`: loose files and packfiles (index v2, deltas), each within a size bound.

// A commit's line counts and patch id need its trees and blobs: this is where they come from.
// Loose objects are one zlib stream each (`<kind> <size>\0<data>`). Packs are found through
// their `.idx` (version 2: a fan-out table, sorted ids, offsets); an entry is a small header
// and a zlib stream, or a delta against another entry (by offset) or another object (by id).
// Every read is bounded: an object's size is known before it is inflated, and what is over the
// caller's bound is refused, never inflated. Delta bases are cached, because walking trees that
// share one base would otherwise inflate it again and again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::files::open_regular;

/// A pack index holds 28 bytes an object; a million objects is under 30 MiB.
const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;
/// Longer delta chains than this are refused: git's own `pack.depth` defaults to 50 and
/// `gc --aggressive` to 50 as well; 4095 is git's hard limit.
const MAX_DELTA_DEPTH: usize = 4095;
/// What the delta-base cache may hold, in bytes.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A SHA-1 object id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(pub [u8; 20]);

impl Oid {
    /// An id from 40 hex digits; `None` for anything else (SHA-256 ids included).
    pub fn from_hex(hex: &str) -> Option<Oid> {
        let bytes = hex.as_bytes();
        if bytes.len() != 40 {
            return None;
        }
        let mut id = [0u8; 20];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).ok()?;
            id[i] = u8::from_str_radix(text, 16).ok()?;
        }
        Some(Oid(id))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Oid> {
        Some(Oid(bytes.try_into().ok()?))
    }

    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The four kinds of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

impl Kind {
    fn from_name(name: &[u8]) -> Option<Kind> {
        match name {
            b"commit" => Some(Kind::Commit),
            b"tree" => Some(Kind::Tree),
            b"blob" => Some(Kind::Blob),
            b"tag" => Some(Kind::Tag),
            _ => None,
        }
    }

    fn from_pack_type(t: u8) -> Option<Kind> {
        match t {
            1 => Some(Kind::Commit),
            2 => Some(Kind::Tree),
            3 => Some(Kind::Blob),
            4 => Some(Kind::Tag),
            _ => None,
        }
    }
}

/// Why an object could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// In no loose file and no pack (a shallow clone's boundary, a partial clone, or gone).
    Missing(Oid),
    /// Bigger than the caller's bound: not inflated.
    TooLarge { id: Oid, size: u64 },
    /// Unreadable or not what git writes.
    Corrupt(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing(id) => write!(f, "object {id} is not in the repository"),
            ReadError::TooLarge { id, size } => write!(f, "object {id} is {size} bytes"),
            ReadError::Corrupt(why) => f.write_str(why),
        }
    }
}

fn corrupt(why: impl Into<String>) -> ReadError {
    ReadError::Corrupt(why.into())
}

/// An object's kind and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub kind: Kind,
    pub data: Vec<u8>,
}

/// The object database of one repository.
pub struct Objects {
    dir: PathBuf,
    /// A shallow clone's boundary (the `shallow` file): commits read as having no parents,
    /// as git reads them.
    shallow: std::collections::HashSet<Oid>,
    packs: Vec<Pack>,
    /// Inflated delta bases by (pack, offset).
    cache: RefCell<Cache>,
}

/// An inflated object, shared between the cache and the deltas built on it.
type Inflated = (Kind, Rc<Vec<u8>>);

#[derive(Default)]
struct Cache {
    entries: HashMap<(usize, u64), Inflated>,
    bytes: usize,
}

impl Objects {
    /// The objects under `dir` (a repository's `objects` directory): its packs are listed now.
    pub fn open(dir: &Path) -> Objects {
        let mut packs = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("pack")) {
            let mut names: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            names.sort();
            packs.extend(names.iter().filter_map(|idx| Pack::open(idx)));
        }
        let shallow = dir
            .parent()
            .and_then(|git_dir| crate::files::read_small(&git_dir.join("shallow"), MAX_INDEX_BYTES))
            .map(|text| {
                text.lines()
                    .filter_map(|l| Oid::from_hex(l.trim()))
                    .collect()
            })
            .unwrap_or_default();
        Objects {
            dir: dir.to_owned(),
            shallow,
            packs,
            cache: RefCell::default(),
        }
    }

    /// Whether `id` is on a shallow clone's boundary: its parents are not there.
    pub fn is_shallow(&self, id: Oid) -> bool {
        self.shallow.contains(&id)
    }

    /// The one object whose id starts with `hex` (lowercase, 2 to 40 digits); `None` when
    /// none does or several do.
    pub fn find_prefix(&self, hex: &str) -> Option<Oid> {
        let mut found: Vec<Oid> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(self.dir.join(hex.get(..2)?)) {
            for entry in entries.flatten() {
                let name = format!("{}{}", &hex[..2], entry.file_name().to_string_lossy());
                if name.starts_with(hex) {
                    found.extend(Oid::from_hex(&name));
                }
            }
        }
        for pack in &self.packs {
            found.extend(pack.with_prefix(hex));
        }
        found.sort_unstable();
        found.dedup();
        (found.len() == 1).then(|| found[0])
    }

    /// The object `id`, if it is at most `max` bytes.
    pub fn read(&self, id: Oid, max: u64) -> Result<Object, ReadError> {
        if let Some(found) = self.read_loose(id, max)? {
            return Ok(found);
        }
        for (n, pack) in self.packs.iter().enumerate() {
            if let Some(offset) = pack.find(id) {
                let (kind, data) = self.read_packed(n, offset, max, 0)?;
                return Ok(Object {
                    kind,
                    data: data.as_ref().clone(),
                });
            }
        }
        Err(ReadError::Missing(id))
    }

    /// The object `id` if it is of `kind`.
    pub fn read_kind(&self, id: Oid, kind: Kind, max: u64) -> Result<Vec<u8>, ReadError> {
        let object = self.read(id, max)?;
        if object.kind != kind {
            return Err(corrupt(format!(
                "object {id} is a {:?}, not a {kind:?}",
                object.kind
            )));
        }
        Ok(object.data)
    }

    fn read_loose(&self, id: Oid, max: u64) -> Result<Option<Object>, ReadError> {
        let hex = id.to_hex();
        let path = self.dir.join(&hex[..2]).join(&hex[2..]);
        let Ok(file) = open_regular(&path) else {
            return Ok(None);
        };
        let mut compressed = Vec::new();
        // A zlib stream is never much over its content's size, plus the header.
        let cap = max.saturating_add(max / 8).saturating_add(1024);
        file.take(cap)
            .read_to_end(&mut compressed)
            .map_err(|e| corrupt(format!("{}: {e}", path.display())))?;
        let limit = usize::try_from(max.saturating_add(64)).unwrap_or(usize::MAX);
        let raw = match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, limit)
        {
            Ok(raw) => raw,
            Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                // Over the bound: the header says by how much.
                let size = loose_header(&e.output).map_or(max + 1, |(_, size, _)| size);
                return Err(ReadError::TooLarge { id, size });
            }
            Err(_) => return Err(corrupt(format!("{}: not a zlib stream", path.display()))),
        };
        let (kind, size, start) =
            loose_header(&raw).ok_or_else(|| corrupt(format!("{}: no header", path.display())))?;
        if size > max {
            return Err(ReadError::TooLarge { id, size });
        }
        let data = raw[start..].to_vec();
        if data.len() as u64 != size {
            return Err(corrupt(format!("{}: truncated", path.display())));
        }
        Ok(Some(Object { kind, data }))
    }

    /// The entry at `offset` of pack `n`, deltas applied.
    fn read_packed(
        &self,
        n: usize,
        offset: u64,
        max: u64,
        depth: usize,
    ) -> Result<Inflated, ReadError> {
        if let Some((kind, data)) = self.cache.borrow().entries.get(&(n, offset)) {
            return Ok((*kind, data.clone()));
        }
        if depth > MAX_DELTA_DEPTH {
            return Err(corrupt("a delta chain longer than git makes"));
        }
        let pack = &self.packs[n];
        let entry = pack.entry(offset)?;
        let result = match &entry.base {
            None => {
                let kind = Kind::from_pack_type(entry.pack_type)
                    .ok_or_else(|| corrupt("an unknown pack entry type"))?;
                if entry.size > max {
                    return Err(ReadError::TooLarge {
                        id: pack.id_at(offset).unwrap_or(Oid([0; 20])),
                        size: entry.size,
                    });
                }
                (kind, Rc::new(pack.inflate(&entry)?))
            }
            Some(base) => {
                // The delta is small; its header says the result's size before any work.
                let delta = pack.inflate(&entry)?;
                let mut at = 0;
                let _base_size = varint(&delta, &mut at)?;
                let size = varint(&delta, &mut at)?;
                if size > max {
                    return Err(ReadError::TooLarge {
                        id: pack.id_at(offset).unwrap_or(Oid([0; 20])),
                        size,
                    });
                }
                let (kind, base) = match *base {
                    Base::Offset(base_offset) => {
                        let (kind, base) = self.read_packed(n, base_offset, u64::MAX, depth + 1)?;
                        self.remember(n, base_offset, kind, base.clone());
                        (kind, base)
                    }
                    Base::Id(id) => {
                        let object = self.read(id, u64::MAX)?;
                        (object.kind, Rc::new(object.data))
                    }
                };
                let data = apply_delta(&base, &delta)?;
                (kind, Rc::new(data))
            }
        };
        Ok(result)
    }

    fn remember(&self, n: usize, offset: u64, kind: Kind, data: Rc<Vec<u8>>) {
        let mut cache = self.cache.borrow_mut();
        if cache.bytes + data.len() > CACHE_BYTES {
            cache.entries.clear();
            cache.bytes = 0;
        }
        if data.len() <= CACHE_BYTES / 4 {
            cache.bytes += data.len();
            cache.entries.insert((n, offset), (kind, data));
        }
    }
}

/// `<kind> <size>\0` at the start of a loose object: its kind, size and where the data starts.
fn loose_header(raw: &[u8]) -> Option<(Kind, u64, usize)> {
    let nul = raw.iter().take(32).position(|&b| b == 0)?;
    let header = std::str::from_utf8(&raw[..nul]).ok()?;
    let (kind, size) = header.split_once(' ')?;
    Some((
        Kind::from_name(kind.as_bytes())?,
        size.parse().ok()?,
        nul + 1,
    ))
}

/// A delta's base.
enum Base {
    Offset(u64),
    Id(Oid),
}

/// A pack entry's header: what follows it and where its zlib stream is.
struct Entry {
    pack_type: u8,
    size: u64,
    base: Option<Base>,
    data_start: u64,
    data_end: u64,
}

/// One packfile and its index.
struct Pack {
    file: File,
    len: u64,
    index: Vec<u8>,
    count: usize,
    /// Every entry's offset, sorted: where each zlib stream ends (the next entry starts).
    ends: Vec<u64>,
}

impl Pack {
    fn open(idx: &Path) -> Option<Pack> {
        let mut index = Vec::new();
        open_regular(idx)
            .ok()?
            .take(MAX_INDEX_BYTES)
            .read_to_end(&mut index)
            .ok()?;
        // Version 2 only: `\377tOc`, then 2. Version 1 has not been written since git 1.5.
        if index.len() < 8 + 256 * 4 || index[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
            return None;
        }
        let count = u32_at(&index, 8 + 255 * 4)? as usize;
        let needed = 8 + 1024 + count * 28 + 40;
        if index.len() < needed {
            return None;
        }
        let file = open_regular(&idx.with_extension("pack")).ok()?;
        let len = file.metadata().ok()?.len();
        let mut pack = Pack {
            file,
            len,
            index,
            count,
            ends: Vec::new(),
        };
        let mut ends: Vec<u64> = (0..count).filter_map(|i| pack.offset_of(i)).collect();
        ends.sort_unstable();
        pack.ends = ends;
        Some(pack)
    }

    fn ids_start(&self) -> usize {
        8 + 1024
    }

    fn id_of(&self, i: usize) -> &[u8] {
        let start = self.ids_start() + i * 20;
        &self.index[start..start + 20]
    }

    /// Where entry `i` (in id order) starts in the pack.
    fn offset_of(&self, i: usize) -> Option<u64> {
        let offsets = self.ids_start() + self.count * 24;
        let small = u32_at(&self.index, offsets + i * 4)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let large = offsets + self.count * 4 + (small & 0x7fff_ffff) as usize * 8;
        let bytes = self.index.get(large..large + 8)?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }

    /// The offset of object `id` in this pack.
    fn find(&self, id: Oid) -> Option<u64> {
        let first = id.0[0] as usize;
        let lo = if first == 0 {
            0
        } else {
            u32_at(&self.index, 8 + (first - 1) * 4)? as usize
        };
        let hi = u32_at(&self.index, 8 + first * 4)? as usize;
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.id_of(mid).cmp(&id.0[..]) {
                std::cmp::Ordering::Equal => return self.offset_of(mid),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }

    /// The ids in this pack that start with `hex` (at most two: enough to tell ambiguity).
    fn with_prefix(&self, hex: &str) -> Vec<Oid> {
        let mut low = hex.to_owned();
        low.extend(std::iter::repeat_n('0', 40 - hex.len()));
        let Some(low) = Oid::from_hex(&low) else {
            return Vec::new();
        };
        let (mut start, mut end) = (0, self.count);
        while start < end {
            let mid = (start + end) / 2;
            if self.id_of(mid) < &low.0[..] {
                start = mid + 1;
            } else {
                end = mid;
            }
        }
        (start..self.count)
            .map(|i| Oid::from_bytes(self.id_of(i)))
            .map_while(|id| id.filter(|id| id.to_hex().starts_with(hex)))
            .take(2)
            .collect()
    }

    /// The id of the entry at `offset`: for messages only (a linear search).
    fn id_at(&self, offset: u64) -> Option<Oid> {
        (0..self.count)
            .find(|&i| self.offset_of(i) == Some(offset))
            .and_then(|i| Oid::from_bytes(self.id_of(i)))
    }

    fn entry(&self, offset: u64) -> Result<Entry, ReadError> {
        let mut header = [0u8; 32];
        let read = self
            .file
            .read_at(&mut header, offset)
            .map_err(|e| corrupt(format!("pack: {e}")))?;
        let header = &header[..read];
        let mut at = 0;
        let mut byte = *header.first().ok_or_else(|| corrupt("pack: truncated"))?;
        let pack_type = (byte >> 4) & 7;
        let mut size = u64::from(byte & 0x0f);
        let mut shift = 4;
        while byte & 0x80 != 0 {
            at += 1;
            byte = *header.get(at).ok_or_else(|| corrupt("pack: truncated"))?;
            size |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
        }
        at += 1;
        let base = match pack_type {
            6 => {
                let mut byte = *header.get(at).ok_or_else(|| corrupt("pack: truncated"))?;
                let mut back = u64::from(byte & 0x7f);
                while byte & 0x80 != 0 {
                    at += 1;
                    byte = *header.get(at).ok_or_else(|| corrupt("pack: truncated"))?;
                    back = ((back + 1) << 7) | u64::from(byte & 0x7f);
                }
                at += 1;
                let base = offset
                    .checked_sub(back)
                    .filter(|_| back > 0)
                    .ok_or_else(|| corrupt("pack: a delta base outside the pack"))?;
                Some(Base::Offset(base))
            }
            7 => {
                let id = header
                    .get(at..at + 20)
                    .and_then(Oid::from_bytes)
                    .ok_or_else(|| corrupt("pack: truncated"))?;
                at += 20;
                Some(Base::Id(id))
            }
            _ => None,
        };
        let data_start = offset + at as u64;
        let next = self.ends.partition_point(|&o| o <= offset);
        let data_end = self
            .ends
            .get(next)
            .copied()
            .unwrap_or(self.len.saturating_sub(20));
        Ok(Entry {
            pack_type,
            size,
            base,
            data_start,
            data_end,
        })
    }

    /// An entry's zlib stream, inflated to exactly its stated size.
    fn inflate(&self, entry: &Entry) -> Result<Vec<u8>, ReadError> {
        let len = entry.data_end.saturating_sub(entry.data_start);
        let len = usize::try_from(len).map_err(|_| corrupt("pack: an entry too large"))?;
        let mut compressed = vec![0u8; len];
        self.file
            .read_exact_at(&mut compressed, entry.data_start)
            .map_err(|e| corrupt(format!("pack: {e}")))?;
        let size = usize::try_from(entry.size).map_err(|_| corrupt("pack: an entry too large"))?;
        let data = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, size)
            .map_err(|_| corrupt("pack: an entry is not a zlib stream of its size"))?;
        if data.len() != size {
            return Err(corrupt("pack: an entry is not its stated size"));
        }
        Ok(data)
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A delta header's size: 7 bits a byte, least significant first.
fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, ReadError> {
    let mut value = 0u64;
    let mut shift = 0u32;
    loop {
        let byte = *bytes.get(*at).ok_or_else(|| corrupt("delta: truncated"))?;
        *at += 1;
        value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// `base` with `delta`'s copies and inserts applied.
fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, ReadError> {
    let mut at = 0;
    let base_size = varint(delta, &mut at)?;
    if base_size != base.len() as u64 {
        return Err(corrupt("delta: its base is not the size it names"));
    }
    let size = usize::try_from(varint(delta, &mut at)?).map_err(|_| corrupt("delta: too large"))?;
    let mut out = Vec::with_capacity(size);
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut len = 0usize;
            for bit in 0..4 {
                if op & (1 << bit) != 0 {
                    let byte = *delta.get(at).ok_or_else(|| corrupt("delta: truncated"))?;
                    offset |= usize::from(byte) << (8 * bit);
                    at += 1;
                }
            }
            for bit in 0..3 {
                if op & (0x10 << bit) != 0 {
                    let byte = *delta.get(at).ok_or_else(|| corrupt("delta: truncated"))?;
                    len |= usize::from(byte) << (8 * bit);
                    at += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            let copy = offset
                .checked_add(len)
                .and_then(|end| base.get(offset..end))
                .ok_or_else(|| corrupt("delta: a copy outside its base"))?;
            out.extend_from_slice(copy);
        } else if op != 0 {
            let insert = delta
                .get(at..at + usize::from(op))
                .ok_or_else(|| corrupt("delta: truncated"))?;
            out.extend_from_slice(insert);
            at += usize::from(op);
        } else {
            return Err(corrupt("delta: a reserved instruction"));
        }
        if out.len() > size {
            return Err(corrupt("delta: longer than it says"));
        }
    }
    if out.len() != size {
        return Err(corrupt("delta: shorter than it says"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::{commit, git, repo};

    fn read_all_as_git_does(work: &Path) {
        let objects = Objects::open(&work.join(".git/objects"));
        let listed = git(work, &["cat-file", "--batch-all-objects", "--batch-check"]);
        assert!(listed.lines().count() > 3, "{listed}");
        for line in listed.lines() {
            let mut parts = line.split(' ');
            let id = Oid::from_hex(parts.next().unwrap()).unwrap();
            let kind = parts.next().unwrap();
            let object = objects.read(id, u64::MAX).unwrap();
            assert_eq!(format!("{:?}", object.kind).to_lowercase(), kind);
            let expected = std::process::Command::new("git")
                .args(["cat-file", kind, &id.to_hex()])
                .current_dir(work)
                .output()
                .unwrap()
                .stdout;
            assert_eq!(object.data, expected, "{line}");
        }
    }

    /// Commits that change one growing file, so the pack holds deltas.
    fn history(work: &Path) {
        let mut text = String::new();
        for i in 0..30 {
            text.push_str(&format!("line {i} of a file that grows and grows\n"));
            std::fs::write(work.join("grows.txt"), &text).unwrap();
            git(work, &["add", "."]);
            commit(work, &["-m", "more"]);
        }
    }

    #[test]
    fn loose_and_packed_objects_read_as_git_reads_them() {
        let (_dir, work) = repo();
        history(&work);
        read_all_as_git_does(&work);
        // Packed, with deltas by offset.
        git(&work, &["gc", "-q", "--aggressive"]);
        assert!(work.join(".git/objects/pack").read_dir().unwrap().count() > 0);
        read_all_as_git_does(&work);
        let verify = git(&work, &["verify-pack", "-v", &pack_idx(&work)]);
        assert!(
            verify.contains("chain length"),
            "deltas in the pack: {verify}"
        );
    }

    #[test]
    fn a_thin_pack_fixed_by_index_pack_with_ref_deltas_reads_too() {
        let (_dir, work) = repo();
        history(&work);
        // REF_DELTA entries: `pack-objects` without --delta-base-offset writes them.
        let ids = git(&work, &["rev-list", "--objects", "--all"]);
        let ids: String = ids
            .lines()
            .map(|l| l.split(' ').next().unwrap().to_owned() + "\n")
            .collect();
        let mut child = std::process::Command::new("git")
            .args(["pack-objects", "-q", ".git/objects/pack/pack"])
            .current_dir(&work)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ids.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
        git(&work, &["prune-packed"]);
        read_all_as_git_does(&work);
    }

    #[test]
    fn an_object_over_the_bound_is_refused_uninflated() {
        let (_dir, work) = repo();
        std::fs::write(work.join("big"), "x".repeat(10_000)).unwrap();
        let id = Oid::from_hex(&git(&work, &["hash-object", "-w", "big"])).unwrap();
        let objects = Objects::open(&work.join(".git/objects"));
        assert_eq!(
            objects.read(id, 100),
            Err(ReadError::TooLarge { id, size: 10_000 })
        );
        assert_eq!(objects.read(id, 10_000).unwrap().data.len(), 10_000);
        git(&work, &["add", "big"]);
        commit(&work, &["-m", "big"]);
        git(&work, &["gc", "-q"]);
        let objects = Objects::open(&work.join(".git/objects"));
        assert!(matches!(
            objects.read(id, 100),
            Err(ReadError::TooLarge { size: 10_000, .. })
        ));
        let absent = Oid([7; 20]);
        assert_eq!(objects.read(absent, 100), Err(ReadError::Missing(absent)));
    }

    fn pack_idx(work: &Path) -> String {
        let pack = work.join(".git/objects/pack");
        pack.read_dir()
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap()
            .display()
            .to_string()
    }
}
