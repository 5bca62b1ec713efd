//! One keep-alive HTTP/1.1 connection, as a client of the API would hold it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// One keep-alive HTTP/1.1 connection, its requests made with one bearer token.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
    token: String,
}

impl Client {
    pub fn connect(addr: &str, token: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Client { reader, writer: stream, host: addr.into(), token: token.into() }
    }

    pub fn request(&mut self, method: &str, path: &str, body: &str) -> (u16, Vec<u8>) {
        self.request_with(method, path, body, &[])
    }

    /// `request` with further headers (`If-Match`).
    pub fn request_with(&mut self, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
        let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        write!(
            self.writer,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            self.token,
            body.len()
        )
        .expect("write");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        if !chunked {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body).expect("body");
            return (status, body);
        }
        // A streamed answer (an export): chunks until the empty one.
        let mut body = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("chunk size");
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).expect("chunk size");
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..]).expect("chunk");
            line.clear();
            self.reader.read_line(&mut line).expect("chunk end");
            if size == 0 {
                return (status, body);
            }
        }
    }
}
