//! The security headers every answer carries, set in one place (`guard`).
//!
//! - The browser app's pages and assets: a Content-Security-Policy that lets the page load
//!   only Trellis' own bundled scripts, styles, fonts and images and talk only to Trellis
//!   (`'self'`: no inline script, no other host; Trellis makes no outside request), never
//!   framed (`frame-ancestors 'none'`, and `X-Frame-Options` for older browsers). Styles
//!   may be inline: the UI kit writes its styles into `<style>` elements as components
//!   first render, and a style cannot run script.
//! - API answers: `Cache-Control: no-store` (they hold personal data: no browser or proxy
//!   keeps a copy) and a policy that lets nothing in them run or load.
//! - Everywhere: `X-Content-Type-Options: nosniff` (an uploaded file is never read as
//!   script or page), `Referrer-Policy: no-referrer` (no record URL leaks to another site),
//!   `Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy: same-origin`.
//!
//! Strict-Transport-Security is left to the TLS proxy in front of Trellis, which knows
//! whether the bank's host names are served only over HTTPS.

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// The browser app's policy.
pub const APP_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The policy of everything else (JSON, CSV, files): nothing in it runs or loads.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Adds the security headers to the answer to a request for `path`.
pub fn add(path: &str, headers: &mut HeaderMap) {
    let api = path.starts_with("/api/") || path == "/healthz";
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, if api { API_POLICY } else { APP_POLICY });
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(headers, HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    if api {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}
