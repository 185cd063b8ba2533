//! HTTPS: certificates a client is told to trust (a private CA, a server's own self-signed
//! certificate), certificates it does not trust (refused at once, never retried), against a TLS
//! server in front of the reference server, with certificates made here.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use calllogs_reference::{ServerConfig, ServerHandle};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use unpod_calllogs::{CallLogQuery, Client, Error};

/// A TLS server on 127.0.0.1 that hands each decrypted connection to the reference server.
struct TlsFront {
    port: u16,
    handshakes: Arc<AtomicUsize>,
    _server: ServerHandle,
}

impl TlsFront {
    async fn start(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> Self {
        let server = calllogs_reference::start(ServerConfig::default())
            .await
            .unwrap();
        let backend = server.url().trim_start_matches("http://").to_owned();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let counted = handshakes.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let mut plain = TcpStream::connect(&backend).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        Self {
            port,
            handshakes,
            _server: server,
        }
    }

    fn client(&self, host: &str, ca_file: Option<&std::path::Path>) -> Result<Client, Error> {
        let mut builder = common::builder(&self._server)
            .base_url(format!("https://{host}:{}", self.port))
            .max_retries(3);
        if let Some(path) = ca_file {
            builder = builder.ca_file(path.to_str().unwrap());
        }
        builder.build()
    }
}

/// A private CA, and a server certificate it signed for `localhost` and 127.0.0.1.
fn private_ca() -> (String, Vec<CertificateDer<'static>>, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "calllogs test CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca.pem(), vec![leaf.der().clone()], key)
}

/// A self-signed certificate that is also a CA (what `openssl req -x509` makes by default),
/// for `localhost` only.
fn self_signed_ca() -> (String, Vec<CertificateDer<'static>>, KeyPair) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), vec![cert.der().clone()], key)
}

fn pem_file(pem: &str) -> tempfile_path::Path {
    tempfile_path::Path::with(pem)
}

/// A file in the temporary folder, removed when dropped.
mod tempfile_path {
    pub struct Path(std::path::PathBuf);

    impl Path {
        pub fn with(contents: &str) -> Self {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path =
                std::env::temp_dir().join(format!("calllogs-tls-{}-{n}.pem", std::process::id()));
            std::fs::write(&path, contents).unwrap();
            Self(path)
        }
    }

    impl std::ops::Deref for Path {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

async fn count(client: &Client) -> Result<u64, Error> {
    let page = client.call_logs().list(&CallLogQuery::new()).await?;
    Ok(page.count)
}

#[tokio::test]
async fn a_private_ca_in_ca_file_is_trusted() {
    let (ca, chain, key) = private_ca();
    let front = TlsFront::start(chain, &key).await;
    let file = pem_file(&ca);
    let client = front.client("localhost", Some(&file)).unwrap();
    let records = client
        .call_logs()
        .collect_all(CallLogQuery::new(), 4)
        .await
        .unwrap();
    assert_eq!(records.len() as u64, count(&client).await.unwrap());
    assert!(!records.is_empty());
    // The certificate also names the address: it is checked, and holds.
    let by_address = front.client("127.0.0.1", Some(&file)).unwrap();
    assert!(count(&by_address).await.is_ok());
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_is_not_retried() {
    let (_, chain, key) = private_ca();
    let front = TlsFront::start(chain, &key).await;
    let client = front.client("localhost", None).unwrap();
    let error = count(&client).await.unwrap_err();
    let Error::Connection(message) = &error else {
        panic!("expected a connection error, got {error:?}");
    };
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("UNPOD_CA_FILE"), "{message}");
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 1, "{message}");
}

#[tokio::test]
async fn a_self_signed_ca_certificate_is_trusted_for_its_own_names_only() {
    let (pem, chain, key) = self_signed_ca();
    let front = TlsFront::start(chain, &key).await;
    let file = pem_file(&pem);
    let client = front.client("localhost", Some(&file)).unwrap();
    assert!(count(&client).await.unwrap() > 0);

    // The certificate names `localhost`, not the address: trusted as it is, but not for others.
    let elsewhere = front.client("127.0.0.1", Some(&file)).unwrap();
    let error = count(&elsewhere).await.unwrap_err();
    assert!(
        matches!(&error, Error::Connection(m) if m.contains("not trusted")),
        "{error:?}"
    );
}

#[tokio::test]
async fn another_ca_does_not_make_a_server_trusted() {
    let (_, chain, key) = private_ca();
    let (other_ca, _, _) = private_ca();
    let front = TlsFront::start(chain, &key).await;
    let file = pem_file(&other_ca);
    let error = count(&front.client("localhost", Some(&file)).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Connection(m) if m.contains("not trusted")),
        "{error:?}"
    );
}

#[test]
fn a_ca_file_that_is_no_pem_of_certificates_is_a_config_error_naming_it() {
    let builder = || {
        Client::builder()
            .token("t")
            .org_handle("o")
            .base_url("https://localhost:1")
    };
    let missing = builder()
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert!(
        matches!(&missing, Error::Config(m) if m.starts_with("ca_file \"/nonexistent/ca.pem\": cannot be read")),
        "{missing:?}"
    );
    let empty = pem_file("no certificate here\n");
    let error = builder()
        .ca_file(empty.to_str().unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("holds no certificate")),
        "{error:?}"
    );
    let garbage =
        pem_file("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
    let error = builder()
        .ca_file(garbage.to_str().unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.starts_with("ca_file")),
        "{error:?}"
    );
}
