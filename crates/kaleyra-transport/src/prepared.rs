//! The exact HTTP request a call sends, for `--dry-run` and logs, with the key masked.

use std::fmt;

use http::{HeaderMap, Method, Uri};

/// A request ready to send. `Display` prints it as HTTP/1.1 text with the `api-key` header
/// masked to its last four characters; the key itself is never printed.
#[derive(Clone)]
pub struct PreparedRequest {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    pub(crate) masked_key: String,
}

impl PreparedRequest {
    /// `POST` (add) or `PUT` (update).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The endpoint, with the SID.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The JSON body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The headers as they are sent, in order (`host` first, `content-length` last), with the
    /// `api-key` masked to its last four characters.
    pub fn masked_headers(&self) -> Vec<(String, String)> {
        let mut headers = Vec::with_capacity(self.headers.len() + 2);
        if let Some(authority) = self.uri.authority() {
            headers.push(("host".to_owned(), authority.to_string()));
        }
        for (name, value) in &self.headers {
            let value = match name.as_str() {
                "host" => continue, // written first, from the URI
                "api-key" => self.masked_key.clone(),
                _ => value.to_str().unwrap_or("<binary>").to_owned(),
            };
            headers.push((name.as_str().to_owned(), value));
        }
        headers.push(("content-length".to_owned(), self.body.len().to_string()));
        headers
    }
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        writeln!(f, "{} {} HTTP/1.1", self.method, path)?;
        for (name, value) in self.masked_headers() {
            writeln!(f, "{name}: {value}")?;
        }
        writeln!(f)?;
        write!(f, "{}", self.body)
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("api_key", &self.masked_key)
            .field("body", &self.body)
            .finish()
    }
}
