//! The browser app, embedded in the binary at build time (`build.rs`) and served from the
//! API's own port: `/assets/*` (content-hashed names) cached for a year, every other path
//! outside `/api/` answered with `index.html`, never cached, so client-side routes load
//! the app and a new build is picked up at once.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

fn asset(name: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|(path, _)| *path == name).map(|(_, bytes)| *bytes)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Whether a request is for the browser app: a GET outside the API.
pub fn is_page(req: &actix_web::guard::GuardContext<'_>) -> bool {
    let path = req.head().uri.path();
    req.head().method == actix_web::http::Method::GET && !path.starts_with("/api/") && path != "/healthz"
}

/// An asset by its path, or the app's page for any other path.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let name = req.path().trim_start_matches('/');
    if name.starts_with("assets/") {
        return match asset(name) {
            Some(bytes) => HttpResponse::Ok()
                .content_type(content_type(name))
                .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
                .body(bytes),
            None => {
                actix_web::ResponseError::error_response(&crate::error::Error::not_found(format!("no asset {name}")))
            }
        };
    }
    let page = asset(name).filter(|_| !name.is_empty() && name != "index.html");
    let (name, bytes) = match page {
        Some(bytes) => (name, bytes),
        None => ("index.html", asset("index.html").unwrap_or_default()),
    };
    HttpResponse::Ok().content_type(content_type(name)).insert_header((header::CACHE_CONTROL, "no-cache")).body(bytes)
}
