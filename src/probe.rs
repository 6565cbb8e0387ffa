//! The HTTP(S) wait strategy's request, made from inside a container's network
//! namespace, so that ports the pod does not publish can be checked without any tool in
//! the image. sidepod runs it as a child of itself (`sidepod __probe-http`), through
//! `podman unshare` when rootless: only there may it enter the pod's namespace.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

/// How long a connection, and then the response's status line, may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the probe child prints when nothing accepts the connection.
pub const REFUSED: &str = "refused";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    pub pid: u32,
    pub port: u16,
    pub host: String,
    pub path: String,
    pub https: bool,
}

/// Enters the namespace, makes the request, and prints the status (or `refused`).
/// Returns the exit code: 0 with an answer or a refusal, 2 when it could not try.
pub fn run(probe: &HttpProbe) -> i32 {
    match request(probe) {
        Ok(Some(status)) => println!("{status}"),
        Ok(None) => println!("{REFUSED}"),
        Err(e) => {
            eprintln!("sidepod: HTTP check of port {}: {e}", probe.port);
            return 2;
        }
    }
    0
}

fn enter_network_namespace(pid: u32) -> Result<(), String> {
    let path = format!("/proc/{pid}/ns/net");
    let ns = File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    // SAFETY: setns takes a valid descriptor, which `ns` holds open for the call; it only
    // changes this thread's network namespace.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!(
            "entering the network namespace of process {pid}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// The response's status, or `None` when the connection is refused or reset before an
/// answer: the server is not there yet.
fn request(probe: &HttpProbe) -> Result<Option<u16>, String> {
    enter_network_namespace(probe.pid)?;
    let ip = probe
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let stream = match TcpStream::connect_timeout(&SocketAddr::new(ip, probe.port), PROBE_TIMEOUT) {
        Ok(s) => s,
        Err(e) if not_there_yet(&e) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let io = |e: std::io::Error| e.to_string();
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT)).map_err(io)?;
    let text = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sidepod\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        probe.path, probe.host
    );
    let answer = if probe.https {
        let mut tls = tls_stream(stream, &probe.host)?;
        exchange(&mut tls, text.as_bytes())
    } else {
        let mut plain = stream;
        exchange(&mut plain, text.as_bytes())
    };
    match answer {
        Ok(head) => status_of(&head).map(Some),
        Err(e) if not_there_yet(&e) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn not_there_yet(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionReset | ConnectionAborted | UnexpectedEof | BrokenPipe
    )
}

/// Sends the request; reads until the end of the status line.
fn exchange(stream: &mut impl ReadWrite, request: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// `HTTP/1.1 200 OK` → 200.
fn status_of(head: &[u8]) -> Result<u16, String> {
    let line = String::from_utf8_lossy(head);
    let line = line.lines().next().unwrap_or_default();
    let mut words = line.split_whitespace();
    match (
        words.next(),
        words.next().and_then(|w| w.parse::<u16>().ok()),
    ) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => Ok(code),
        _ => Err(format!("the answer is not HTTP: {:?}", truncate(line))),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn tls_stream(
    stream: TcpStream,
    host: &str,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} cannot be sent as a TLS server name: {e}"))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    Ok(rustls::StreamOwned::new(conn, stream))
}

/// A sidecar's certificate is usually its own, self-signed: the check is whether it
/// answers, so any certificate is accepted (the handshake's signatures are still
/// checked).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_read_from_the_status_line() {
        assert_eq!(status_of(b"HTTP/1.1 204 No Content\r\n"), Ok(204));
        assert_eq!(status_of(b"HTTP/1.0 503 Busy\r\nServer: x\r\n"), Ok(503));
        assert!(status_of(b"SSH-2.0-OpenSSH\r\n")
            .unwrap_err()
            .contains("not HTTP"));
    }
}
