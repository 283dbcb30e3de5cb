//! Reading a transcript line by line in bounded memory, however long a line is.

use std::io::{self, BufRead, BufReader, Read};

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    Newline,
    /// The file ended first: the writer may be mid-line.
    EndOfFile,
    /// Longer than the cap; its bytes were passed over, not kept.
    Overlong,
}

/// Lines of bytes read through a fixed buffer, so that no line costs more memory than the cap.
pub struct Lines<R> {
    reader: BufReader<R>,
    /// Bytes consumed so far: where the next line starts.
    pub offset: u64,
}

impl<R: Read> Lines<R> {
    pub fn new(inner: R) -> Self {
        Lines {
            reader: BufReader::with_capacity(64 * 1024, inner),
            offset: 0,
        }
    }

    /// Reads the next line (without its newline) into `buf`, keeping at most `cap` bytes of it.
    /// `None` at the end of the file.
    pub fn next_into(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<LineEnd>> {
        buf.clear();
        let mut overlong = false;
        let mut read_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                let end = if overlong {
                    LineEnd::Overlong
                } else {
                    LineEnd::EndOfFile
                };
                return Ok(read_any.then_some(end));
            }
            read_any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if !overlong {
                if buf.len() + chunk.len() > cap {
                    overlong = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(available.len(), |i| i + 1);
            self.reader.consume(used);
            self.offset += used as u64;
            if newline.is_some() {
                return Ok(Some(if overlong {
                    LineEnd::Overlong
                } else {
                    LineEnd::Newline
                }));
            }
        }
    }
}
