//! `kubectl port-forward` through `serve`: the SPDY/3.1 session kubectl 1.32 runs inside the
//! WebSocket of `pods/NAME/portforward`, with the kubelet's side of each forwarded connection.
//!
//! Mirrors: client-go's `tools/portforward` (per local connection, an `error` stream and a `data`
//! stream named by `streamType`, `port` and `requestID` headers; the error stream carries the
//! text of what went wrong, then ends; the client half-closes the data stream when its local
//! connection closes and waits for the remote half to end) and the kubelet's SPDY port-forward
//! server (a SYN_REPLY to every stream, PINGs answered, an error for a port nothing listens on
//! worded as containerd's `PortForward` words it).
//! Simplified: the lab's containers answer whole HTTP/1.1 requests (the runtime's HTTP exchange
//! that Services, probes and `curl` use), not raw TCP, so what a data stream carries is read as
//! HTTP requests and each is answered with a whole response; bytes that are not HTTP get an
//! error that says so. The response's headers are Date, Content-Type, Content-Length and
//! Connection, not each server's own.
//!
//! Sans I/O: [`PortForward::receive`] takes the WebSocket's bytes and says which HTTP requests
//! want an answer; [`PortForward::answer`] takes the lab's; [`PortForward::take_output`] is what to
//! send back. `net` moves the bytes, the lab thread answers.

use super::spdy::{header, Codec, Frame};

/// The WebSocket subprotocol kubectl 1.32 offers for port-forward: SPDY/3.1 tunnelled in binary
/// messages, speaking `portforward.k8s.io` inside.
pub const PORT_FORWARD_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// RST_STREAM's and GOAWAY's PROTOCOL_ERROR.
const STATUS_PROTOCOL_ERROR: u32 = 1;
/// The most a data stream buffers while a request's headers are incomplete.
const MAX_REQUEST_HEAD: usize = 64 * 1024;
/// The largest DATA frame written.
const DATA_FRAME: usize = 32 * 1024;

/// One HTTP request read from a data stream, for the lab to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpAsk {
    /// The data stream it came on.
    pub stream: u32,
    pub port: u16,
    pub method: String,
    pub path: String,
    pub user_agent: String,
    /// The client asked to close after the answer (`Connection: close`, or HTTP/1.0).
    pub close: bool,
}

/// What the lab found at the pod's port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP response; `date` is the simulated time as HTTP writes it.
    Response {
        status: u16,
        body: String,
        date: String,
    },
    /// The connection ends without a response (something listens but does not speak HTTP).
    Closed,
    /// The forward failed: the text goes on the error stream, which kubectl prints.
    Failed(String),
}

/// One local connection's pair of streams.
struct Pair {
    request_id: String,
    port: u16,
    error: Option<u32>,
    data: Option<u32>,
    /// Bytes of the data stream not yet read as a whole request.
    buffer: Vec<u8>,
    /// Requests read and not yet answered.
    waiting: usize,
    /// The client half-closed the data stream (its local connection closed).
    client_done: bool,
    /// This side ended both streams.
    done: bool,
}

/// One port-forward session: everything kubectl sends on one `pods/NAME/portforward` WebSocket.
pub struct PortForward {
    codec: Codec,
    pairs: Vec<Pair>,
    out: Vec<u8>,
    ended: bool,
}

impl Default for PortForward {
    fn default() -> Self {
        Self::new()
    }
}

impl PortForward {
    pub fn new() -> Self {
        PortForward {
            codec: Codec::new(),
            pairs: Vec::new(),
            out: Vec::new(),
            ended: false,
        }
    }

    /// The session is over (GOAWAY, or bytes that are not SPDY): close the WebSocket.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// What to send kubectl now.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn send(&mut self, frame: Frame) {
        let bytes = self.codec.encode(&frame);
        self.out.extend(bytes);
    }

    fn pair_of(&mut self, stream: u32) -> Option<usize> {
        self.pairs
            .iter()
            .position(|p| p.data == Some(stream) || p.error == Some(stream))
    }

    /// Bytes from the WebSocket; the HTTP requests they completed.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<HttpAsk> {
        self.codec.feed(bytes);
        let mut asks = Vec::new();
        while !self.ended {
            let frame = match self.codec.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(_) => {
                    self.send(Frame::GoAway {
                        last_good: 0,
                        status: STATUS_PROTOCOL_ERROR,
                    });
                    self.ended = true;
                    break;
                }
            };
            match frame {
                Frame::SynStream {
                    stream, headers, ..
                } => self.open(stream, &headers),
                Frame::Data { stream, fin, data } => self.data(stream, fin, &data, &mut asks),
                Frame::RstStream { stream, .. } => {
                    if let Some(at) = self.pair_of(stream) {
                        let pair = &mut self.pairs[at];
                        if pair.data == Some(stream) {
                            pair.data = None;
                        } else {
                            pair.error = None;
                        }
                        if pair.data.is_none() && pair.error.is_none() {
                            self.pairs.remove(at);
                        }
                    }
                }
                Frame::Ping(id) => self.send(Frame::Ping(id)),
                Frame::GoAway { .. } => self.ended = true,
                Frame::SynReply { .. } | Frame::Other { .. } => {}
            }
        }
        asks
    }

    fn open(&mut self, stream: u32, headers: &[(String, String)]) {
        let kind = header(headers, "streamType")
            .unwrap_or_default()
            .to_string();
        let request_id = header(headers, "requestID").unwrap_or_default().to_string();
        let port = header(headers, "port").and_then(|p| p.parse::<u16>().ok());
        let (Some(port), "error" | "data") = (port.filter(|p| *p > 0), kind.as_str()) else {
            // The kubelet refuses a stream it cannot place.
            self.send(Frame::RstStream {
                stream,
                status: STATUS_PROTOCOL_ERROR,
            });
            return;
        };
        self.send(Frame::SynReply {
            stream,
            fin: false,
            headers: Vec::new(),
        });
        let at = match self
            .pairs
            .iter()
            .position(|p| p.request_id == request_id && !p.done)
        {
            Some(at) => at,
            None => {
                self.pairs.push(Pair {
                    request_id,
                    port,
                    error: None,
                    data: None,
                    buffer: Vec::new(),
                    waiting: 0,
                    client_done: false,
                    done: false,
                });
                self.pairs.len() - 1
            }
        };
        let pair = &mut self.pairs[at];
        if kind == "error" {
            pair.error = Some(stream);
        } else {
            pair.data = Some(stream);
        }
    }

    fn data(&mut self, stream: u32, fin: bool, data: &[u8], asks: &mut Vec<HttpAsk>) {
        let Some(at) = self.pair_of(stream) else {
            return;
        };
        if self.pairs[at].data != Some(stream) || self.pairs[at].done {
            // The error stream is kubectl's to close, never to write.
            return;
        }
        let pair = &mut self.pairs[at];
        pair.buffer.extend_from_slice(data);
        loop {
            match next_request(&mut pair.buffer) {
                Ok(Some(request)) => {
                    pair.waiting += 1;
                    asks.push(HttpAsk {
                        stream,
                        port: pair.port,
                        ..request
                    });
                }
                Ok(None) => break,
                Err(why) => {
                    self.fail(at, &why);
                    return;
                }
            }
        }
        if fin {
            self.pairs[at].client_done = true;
            if self.pairs[at].waiting == 0 {
                self.finish(at);
            }
        }
    }

    /// The lab's answer to `ask`.
    pub fn answer(&mut self, ask: &HttpAsk, answer: Answer) {
        let Some(at) = self.pair_of(ask.stream) else {
            return;
        };
        let pair = &mut self.pairs[at];
        pair.waiting = pair.waiting.saturating_sub(1);
        if pair.done {
            return;
        }
        match answer {
            Answer::Response { status, body, date } => {
                let bytes = response_bytes(status, &body, &date, &ask.method, ask.close);
                for piece in bytes.chunks(DATA_FRAME) {
                    self.send(Frame::Data {
                        stream: ask.stream,
                        fin: false,
                        data: piece.to_vec(),
                    });
                }
                let pair = &self.pairs[at];
                if ask.close || (pair.client_done && pair.waiting == 0) {
                    self.finish(at);
                }
            }
            Answer::Closed => self.finish(at),
            Answer::Failed(why) => self.fail(at, &why),
        }
    }

    /// Ends both streams of a pair, the error stream with `why` on it.
    fn fail(&mut self, at: usize, why: &str) {
        if let Some(error) = self.pairs[at].error {
            self.send(Frame::Data {
                stream: error,
                fin: false,
                data: why.as_bytes().to_vec(),
            });
        }
        self.finish(at);
    }

    /// This side is done with the pair: both streams end (kubectl then resets them).
    fn finish(&mut self, at: usize) {
        let pair = &mut self.pairs[at];
        if pair.done {
            return;
        }
        pair.done = true;
        let streams = [pair.data, pair.error];
        for stream in streams.into_iter().flatten() {
            self.send(Frame::Data {
                stream,
                fin: true,
                data: Vec::new(),
            });
        }
    }
}

/// The first whole HTTP/1.x request in `buffer`, taken out of it (with any body it declares).
fn next_request(buffer: &mut Vec<u8>) -> Result<Option<HttpAsk>, String> {
    let not_http = || {
        "kube-sandbox serve forwards HTTP only: the lab's containers answer whole HTTP requests, not raw TCP".to_string()
    };
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        let first_line_done = buffer.contains(&b'\n');
        if buffer.len() > MAX_REQUEST_HEAD
            || (first_line_done && {
                let first = buffer.split(|b| *b == b'\n').next().unwrap_or_default();
                request_line(String::from_utf8_lossy(first).trim_end()).is_none()
            })
        {
            return Err(not_http());
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let Some((method, path, version)) = request_line(lines.next().unwrap_or_default()) else {
        return Err(not_http());
    };
    let mut user_agent = String::new();
    let mut length = 0usize;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "user-agent" => user_agent = value.to_string(),
            "content-length" => length = value.parse().unwrap_or(0),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let total = end + 4 + length;
    if buffer.len() < total {
        return Ok(None);
    }
    let request = HttpAsk {
        stream: 0,
        port: 0,
        method: method.to_string(),
        path: path.to_string(),
        user_agent,
        close,
    };
    buffer.drain(..total);
    Ok(Some(request))
}

/// `METHOD PATH HTTP/1.x`: its three parts, or None if the line is not an HTTP/1 request's.
fn request_line(line: &str) -> Option<(&str, &str, &str)> {
    let mut parts = line.split(' ');
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    let http1 = !method.is_empty() && version.starts_with("HTTP/1.") && parts.next().is_none();
    http1.then_some((method, path, version))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// A whole HTTP/1.1 response, as the client on the local port reads it.
fn response_bytes(status: u16, body: &str, date: &str, method: &str, close: bool) -> Vec<u8> {
    let content_type = if body.trim_start().starts_with('<') {
        "text/html"
    } else {
        "text/plain; charset=utf-8"
    };
    let connection = if close { "close" } else { "keep-alive" };
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nDate: {date}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubectl's side: frames out through its own codec, frames in through it.
    struct Kubectl(Codec);

    impl Kubectl {
        fn send(&mut self, frames: &[Frame]) -> Vec<u8> {
            frames.iter().flat_map(|f| self.0.encode(f)).collect()
        }
        fn read(&mut self, bytes: &[u8]) -> Vec<Frame> {
            self.0.feed(bytes);
            let mut frames = Vec::new();
            while let Some(frame) = self.0.next_frame().expect("valid") {
                frames.push(frame);
            }
            frames
        }
    }

    fn streams(request_id: &str) -> [Frame; 2] {
        let headers = |kind: &str| {
            vec![
                ("streamtype".to_string(), kind.to_string()),
                ("port".to_string(), "80".to_string()),
                ("requestid".to_string(), request_id.to_string()),
            ]
        };
        let base: u32 = request_id.parse::<u32>().unwrap() * 4 + 1;
        [
            Frame::SynStream {
                stream: base,
                fin: false,
                headers: headers("error"),
            },
            Frame::SynStream {
                stream: base + 2,
                fin: false,
                headers: headers("data"),
            },
        ]
    }

    #[test]
    fn a_connection_gets_its_replies_its_answer_and_both_ends() {
        let mut kubectl = Kubectl(Codec::new());
        let mut server = PortForward::new();
        let [error, data] = streams("0");
        let opening = kubectl.send(&[
            error,
            data,
            // kubectl closes its half of the error stream at once.
            Frame::Data {
                stream: 1,
                fin: true,
                data: Vec::new(),
            },
        ]);
        assert!(server.receive(&opening).is_empty());
        let replies = kubectl.read(&server.take_output());
        assert!(matches!(
            replies[..],
            [
                Frame::SynReply { stream: 1, .. },
                Frame::SynReply { stream: 3, .. }
            ]
        ));

        // curl's request, split across two DATA frames, then curl hangs up.
        let request = kubectl.send(&[
            Frame::Data {
                stream: 3,
                fin: false,
                data: b"GET /index.html HTTP/1.1\r\nHost: localhost:8080\r\nUser-".to_vec(),
            },
            Frame::Data {
                stream: 3,
                fin: false,
                data: b"Agent: curl/8.14.1\r\nAccept: */*\r\n\r\n".to_vec(),
            },
        ]);
        let asks = server.receive(&request);
        assert_eq!(
            asks,
            vec![HttpAsk {
                stream: 3,
                port: 80,
                method: "GET".into(),
                path: "/index.html".into(),
                user_agent: "curl/8.14.1".into(),
                close: false,
            }]
        );
        server.answer(
            &asks[0],
            Answer::Response {
                status: 200,
                body: "<p>hi</p>\n".into(),
                date: "Sun, 01 Jun 2025 00:00:00 GMT".into(),
            },
        );
        let frames = kubectl.read(&server.take_output());
        let Frame::Data {
            stream: 3,
            fin: false,
            data,
        } = &frames[0]
        else {
            panic!("{frames:?}");
        };
        assert_eq!(
            String::from_utf8_lossy(data),
            "HTTP/1.1 200 OK\r\nDate: Sun, 01 Jun 2025 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n<p>hi</p>\n"
        );
        // Keep-alive: nothing ends until curl's side does.
        assert_eq!(frames.len(), 1);
        let hangup = kubectl.send(&[Frame::Data {
            stream: 3,
            fin: true,
            data: Vec::new(),
        }]);
        assert!(server.receive(&hangup).is_empty());
        let ends = kubectl.read(&server.take_output());
        let fins: Vec<u32> = ends
            .iter()
            .filter_map(|f| match f {
                Frame::Data {
                    stream,
                    fin: true,
                    data,
                } if data.is_empty() => Some(*stream),
                _ => None,
            })
            .collect();
        assert_eq!(fins, vec![3, 1]);
    }

    #[test]
    fn a_refused_port_is_told_on_the_error_stream_and_pings_are_answered() {
        let mut kubectl = Kubectl(Codec::new());
        let mut server = PortForward::new();
        let mut frames = streams("0").to_vec();
        frames.push(Frame::Data {
            stream: 3,
            fin: false,
            data: b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        });
        frames.push(Frame::Ping(1));
        let asks = server.receive(&kubectl.send(&frames));
        assert_eq!(asks.len(), 1);
        server.answer(&asks[0], Answer::Failed("connection refused".into()));
        let out = kubectl.read(&server.take_output());
        assert!(out.contains(&Frame::Ping(1)));
        assert!(out.contains(&Frame::Data {
            stream: 1,
            fin: false,
            data: b"connection refused".to_vec()
        }));
        assert!(out.contains(&Frame::Data {
            stream: 1,
            fin: true,
            data: Vec::new()
        }));
        assert!(out.contains(&Frame::Data {
            stream: 3,
            fin: true,
            data: Vec::new()
        }));
    }

    #[test]
    fn bytes_that_are_not_http_or_not_spdy_end_what_they_came_on() {
        let mut kubectl = Kubectl(Codec::new());
        let mut server = PortForward::new();
        let mut frames = streams("0").to_vec();
        frames.push(Frame::Data {
            stream: 3,
            fin: false,
            data: b"*1\r\n$4\r\nPING\r\n".to_vec(),
        });
        assert!(server.receive(&kubectl.send(&frames)).is_empty());
        let out = kubectl.read(&server.take_output());
        assert!(out
            .iter()
            .any(|f| matches!(f, Frame::Data { stream: 1, data, .. }
            if String::from_utf8_lossy(data).contains("forwards HTTP only"))));
        assert!(!server.ended());
        // Garbage where a frame should be ends the session with a GOAWAY.
        server.receive(&[0x80, 0x09, 0, 1, 0, 0, 0, 0]);
        assert!(server.ended());
        let out = kubectl.read(&server.take_output());
        assert_eq!(
            out,
            vec![Frame::GoAway {
                last_good: 0,
                status: STATUS_PROTOCOL_ERROR
            }]
        );
    }

    #[test]
    fn connection_close_and_head_are_honoured() {
        let mut buffer = b"HEAD / HTTP/1.0\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nab".to_vec();
        let head = next_request(&mut buffer).unwrap().unwrap();
        assert_eq!((head.method.as_str(), head.close), ("HEAD", true));
        // The POST's body is one byte short: not yet a request.
        assert_eq!(next_request(&mut buffer), Ok(None));
        buffer.push(b'c');
        let post = next_request(&mut buffer).unwrap().unwrap();
        assert_eq!((post.path.as_str(), post.close), ("/x", true));
        assert!(buffer.is_empty());
        let bytes = response_bytes(404, "nope", "D", "HEAD", true);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "HTTP/1.1 404 Not Found\r\nDate: D\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
        );
    }
}
