//! Static files compiled into the binary: our CSS and JS and the vendored Leaflet and uPlot
//! (installed from npm, with their licences; see static/vendor/README.md). Nothing is
//! fetched from another host at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct Static;

pub async fn serve_static(Path(path): Path<String>) -> Response {
    match Static::get(&path) {
        Some(file) => {
            let mime = match path.rsplit('.').next().unwrap_or("") {
                "css" => "text/css; charset=utf-8",
                "js" => "text/javascript; charset=utf-8",
                "png" => "image/png",
                "svg" => "image/svg+xml",
                "json" => "application/json",
                "md" | "txt" => "text/plain; charset=utf-8",
                _ if path.ends_with("LICENSE") => "text/plain; charset=utf-8",
                _ => "application/octet-stream",
            };
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], file.data).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
