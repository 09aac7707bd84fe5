//! SPDY/3.1 frames, as `kubectl port-forward` sends them inside its WebSocket.
//!
//! Mirrors: the SPDY/3 draft's framing (draft-mbelshe-httpbis-spdy-00 §2.2 to §2.6), as moby's
//! `spdystream` (client-go's port-forward transport) writes and reads it: an 8-byte header
//! (a control bit, version 3, type, flags and a 24-bit length; a data frame has a 31-bit stream
//! id instead of version and type), and header blocks (a 32-bit count, then 32-bit length-prefixed
//! names and values) compressed by one zlib stream per direction that starts from the draft's
//! preset dictionary and is sync-flushed after each block.
//! Simplified: no flow control (spdystream sends no WINDOW_UPDATE and ignores ours), no server
//! push, no priorities; SETTINGS, HEADERS and WINDOW_UPDATE are read and dropped.
//!
//! No crate: no maintained Rust crate speaks SPDY/3.1 (it lives on only in Go's spdystream), and
//! the part port-forward needs is these few frames. zlib with a dictionary is flate2's.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// The draft's preset dictionary for header blocks (§2.6.10.1), 1,423 bytes; its Adler-32 is
/// 0xe3c6a7c2, the id every SPDY/3 header stream names.
const DICTIONARY: &[u8] = include_bytes!("spdy3_dictionary.bin");

const VERSION: u16 = 3;
const TYPE_SYN_STREAM: u16 = 1;
const TYPE_SYN_REPLY: u16 = 2;
const TYPE_RST_STREAM: u16 = 3;
const TYPE_PING: u16 = 6;
const TYPE_GOAWAY: u16 = 7;
/// FLAG_FIN, for data and control frames alike: the sender's half of the stream ends.
const FLAG_FIN: u8 = 0x01;
/// The longest frame read: spdystream writes data in pieces far below this.
const MAX_FRAME: usize = 1 << 20;
/// The most a header block may inflate to.
const MAX_HEADERS: usize = 64 * 1024;

/// One frame, read or to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        stream: u32,
        fin: bool,
        headers: Vec<(String, String)>,
    },
    SynReply {
        stream: u32,
        fin: bool,
        headers: Vec<(String, String)>,
    },
    Data {
        stream: u32,
        fin: bool,
        data: Vec<u8>,
    },
    RstStream {
        stream: u32,
        status: u32,
    },
    Ping(u32),
    GoAway {
        last_good: u32,
        status: u32,
    },
    /// SETTINGS, HEADERS, WINDOW_UPDATE or a type this side does not use.
    Other {
        kind: u16,
    },
}

/// Bytes that are not SPDY/3.1, or a header block that does not inflate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpdyError(pub String);

impl std::fmt::Display for SpdyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One side of a SPDY session's byte stream: frames in (from bytes in any pieces) and out, with
/// the two header compression contexts a session keeps for its whole life.
pub struct Codec {
    inflate: Decompress,
    deflate: Compress,
    pending: Vec<u8>,
}

impl Default for Codec {
    fn default() -> Self {
        Self::new()
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(slice) = bytes.get(at..at + 4) {
        word.copy_from_slice(slice);
    }
    u32::from_be_bytes(word)
}

impl Codec {
    pub fn new() -> Self {
        let mut deflate = Compress::new(Compression::default(), true);
        // Before the first byte: the stream's zlib header then names the dictionary.
        let _ = deflate.set_dictionary(DICTIONARY);
        Codec {
            inflate: Decompress::new(true),
            deflate,
            pending: Vec::new(),
        }
    }

    /// Bytes as they arrived: kubectl writes a frame's parts in separate WebSocket messages.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next whole frame fed so far, if there is one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SpdyError> {
        let Some(head) = self.pending.get(..8) else {
            return Ok(None);
        };
        let length = (u32_at(head, 4) & 0x00ff_ffff) as usize;
        let flags = head[4];
        if length > MAX_FRAME {
            return Err(SpdyError(format!("a frame of {length} bytes")));
        }
        if self.pending.len() < 8 + length {
            return Ok(None);
        }
        let frame: Vec<u8> = self.pending.drain(..8 + length).collect();
        let payload = &frame[8..];
        let fin = flags & FLAG_FIN != 0;
        if frame[0] & 0x80 == 0 {
            return Ok(Some(Frame::Data {
                stream: u32_at(&frame, 0) & 0x7fff_ffff,
                fin,
                data: payload.to_vec(),
            }));
        }
        let version = u16::from_be_bytes([frame[0] & 0x7f, frame[1]]);
        if version != VERSION {
            return Err(SpdyError(format!("SPDY version {version}, not 3")));
        }
        let kind = u16::from_be_bytes([frame[2], frame[3]]);
        let stream = u32_at(payload, 0) & 0x7fff_ffff;
        let short = || {
            SpdyError(format!(
                "a control frame of type {kind} with {length} bytes"
            ))
        };
        Ok(Some(match kind {
            TYPE_SYN_STREAM => Frame::SynStream {
                stream,
                fin,
                headers: self.inflate_headers(payload.get(10..).ok_or_else(short)?)?,
            },
            TYPE_SYN_REPLY => Frame::SynReply {
                stream,
                fin,
                headers: self.inflate_headers(payload.get(4..).ok_or_else(short)?)?,
            },
            TYPE_RST_STREAM if length >= 8 => Frame::RstStream {
                stream,
                status: u32_at(payload, 4),
            },
            TYPE_PING if length >= 4 => Frame::Ping(u32_at(payload, 0)),
            TYPE_GOAWAY if length >= 4 => Frame::GoAway {
                last_good: stream,
                status: if length >= 8 { u32_at(payload, 4) } else { 0 },
            },
            TYPE_RST_STREAM | TYPE_PING | TYPE_GOAWAY => return Err(short()),
            other => Frame::Other { kind: other },
        }))
    }

    /// A frame's bytes, its header block compressed in this session's context.
    pub fn encode(&mut self, frame: &Frame) -> Vec<u8> {
        let control = |kind: u16, flags: u8, payload: &[u8]| {
            let mut out = Vec::with_capacity(8 + payload.len());
            out.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&((u32::from(flags) << 24) | payload.len() as u32).to_be_bytes());
            out.extend_from_slice(payload);
            out
        };
        let fin_flag = |fin: bool| if fin { FLAG_FIN } else { 0 };
        match frame {
            Frame::SynStream {
                stream,
                fin,
                headers,
            } => {
                let mut payload = stream.to_be_bytes().to_vec();
                payload.extend_from_slice(&[0; 6]);
                payload.extend(self.deflate_headers(headers));
                control(TYPE_SYN_STREAM, fin_flag(*fin), &payload)
            }
            Frame::SynReply {
                stream,
                fin,
                headers,
            } => {
                let mut payload = stream.to_be_bytes().to_vec();
                payload.extend(self.deflate_headers(headers));
                control(TYPE_SYN_REPLY, fin_flag(*fin), &payload)
            }
            Frame::Data { stream, fin, data } => {
                let mut out = Vec::with_capacity(8 + data.len());
                out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
                let head = (u32::from(fin_flag(*fin)) << 24) | data.len() as u32;
                out.extend_from_slice(&head.to_be_bytes());
                out.extend_from_slice(data);
                out
            }
            Frame::RstStream { stream, status } => {
                let mut payload = stream.to_be_bytes().to_vec();
                payload.extend_from_slice(&status.to_be_bytes());
                control(TYPE_RST_STREAM, 0, &payload)
            }
            Frame::Ping(id) => control(TYPE_PING, 0, &id.to_be_bytes()),
            Frame::GoAway { last_good, status } => {
                let mut payload = last_good.to_be_bytes().to_vec();
                payload.extend_from_slice(&status.to_be_bytes());
                control(TYPE_GOAWAY, 0, &payload)
            }
            Frame::Other { kind } => control(*kind, 0, &[]),
        }
    }

    fn deflate_headers(&mut self, headers: &[(String, String)]) -> Vec<u8> {
        let mut block = (headers.len() as u32).to_be_bytes().to_vec();
        for (name, value) in headers {
            for part in [name.to_ascii_lowercase().as_bytes(), value.as_bytes()] {
                block.extend_from_slice(&(part.len() as u32).to_be_bytes());
                block.extend_from_slice(part);
            }
        }
        let mut out = Vec::new();
        let mut taken = 0;
        loop {
            out.reserve(block.len() + 64);
            let before = self.deflate.total_in();
            if self
                .deflate
                .compress_vec(&block[taken..], &mut out, FlushCompress::Sync)
                .is_err()
            {
                break;
            }
            taken += (self.deflate.total_in() - before) as usize;
            // Done once every byte is in and the flush stopped short of the room it had.
            if taken >= block.len() && out.len() < out.capacity() {
                break;
            }
        }
        out
    }

    fn inflate_headers(&mut self, compressed: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
        let bad = |why: String| SpdyError(format!("a header block that does not inflate: {why}"));
        let mut block: Vec<u8> = Vec::new();
        let mut taken = 0;
        loop {
            block.reserve(4096);
            let (in_before, out_before) = (self.inflate.total_in(), block.len());
            let result = self.inflate.decompress_vec(
                &compressed[taken..],
                &mut block,
                FlushDecompress::Sync,
            );
            taken += (self.inflate.total_in() - in_before) as usize;
            match result {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(DICTIONARY)
                        .map_err(|e| bad(e.to_string()))?;
                    continue;
                }
                Err(e) => return Err(bad(e.to_string())),
            }
            if block.len() > MAX_HEADERS {
                return Err(bad(format!("more than {MAX_HEADERS} bytes")));
            }
            let stalled = self.inflate.total_in() == in_before && block.len() == out_before;
            if stalled || (taken >= compressed.len() && block.len() < block.capacity()) {
                break;
            }
        }
        let count = u32_at(&block, 0) as usize;
        let mut at = 4;
        let read = |at: &mut usize| -> Result<String, SpdyError> {
            let len = u32_at(&block, *at) as usize;
            let text = block
                .get(*at + 4..*at + 4 + len)
                .ok_or_else(|| bad("a name or value past the block's end".into()))?;
            *at += 4 + len;
            Ok(String::from_utf8_lossy(text).into_owned())
        };
        let mut headers = Vec::new();
        for _ in 0..count.min(256) {
            let name = read(&mut at)?;
            let value = read(&mut at)?;
            headers.push((name, value));
        }
        Ok(headers)
    }
}

/// A header's value by name, as spdystream's `http.Header` would find it.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RST_STREAM's CANCEL status (kubectl resets its streams with it).
    const STATUS_CANCEL: u32 = 5;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_dictionary_is_the_drafts() {
        let mut adler = (1u32, 0u32);
        for b in DICTIONARY {
            adler.0 = (adler.0 + u32::from(*b)) % 65521;
            adler.1 = (adler.1 + adler.0) % 65521;
        }
        assert_eq!((adler.1 << 16) | adler.0, 0xe3c6_a7c2);
    }

    #[test]
    fn frames_round_trip_through_one_session_in_any_pieces() {
        let mut client = Codec::new();
        let mut server = Codec::new();
        let frames = vec![
            Frame::SynStream {
                stream: 1,
                fin: false,
                headers: pairs(&[("streamtype", "error"), ("port", "80"), ("requestid", "0")]),
            },
            Frame::SynStream {
                stream: 3,
                fin: false,
                headers: pairs(&[("streamtype", "data"), ("port", "80"), ("requestid", "0")]),
            },
            Frame::Data {
                stream: 3,
                fin: false,
                data: b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            },
            Frame::Data {
                stream: 1,
                fin: true,
                data: Vec::new(),
            },
            Frame::Ping(1),
            Frame::RstStream {
                stream: 3,
                status: STATUS_CANCEL,
            },
            Frame::GoAway {
                last_good: 3,
                status: 0,
            },
        ];
        let bytes: Vec<u8> = frames.iter().flat_map(|f| client.encode(f)).collect();
        // Three bytes at a time, as a stream of tiny WebSocket messages would bring them.
        let mut read = Vec::new();
        for piece in bytes.chunks(3) {
            server.feed(piece);
            while let Some(frame) = server.next_frame().expect("valid") {
                read.push(frame);
            }
        }
        assert_eq!(read, frames);
        // The server's own direction has its own context: a reply inflates on the client.
        let reply = Frame::SynReply {
            stream: 3,
            fin: false,
            headers: Vec::new(),
        };
        let encoded = server.encode(&reply);
        client.feed(&encoded);
        assert_eq!(client.next_frame().expect("valid"), Some(reply));
    }

    #[test]
    fn a_header_block_names_the_dictionary_and_the_wrong_version_is_refused() {
        let mut codec = Codec::new();
        let bytes = codec.encode(&Frame::SynReply {
            stream: 1,
            fin: false,
            headers: Vec::new(),
        });
        // zlib's header with FDICT set, then the dictionary's Adler-32.
        assert_eq!(bytes[12] & 0x0f, 8);
        assert_ne!(bytes[13] & 0x20, 0);
        assert_eq!(&bytes[14..18], &[0xe3, 0xc6, 0xa7, 0xc2]);
        let mut other = Codec::new();
        let mut v2 = bytes.clone();
        v2[1] = 2;
        other.feed(&v2);
        assert_eq!(
            other.next_frame(),
            Err(SpdyError("SPDY version 2, not 3".into()))
        );
    }
}
