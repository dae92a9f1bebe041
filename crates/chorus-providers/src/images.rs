//! How an input image reaches a provider: by its public URL when the server
//! has one, else inline as a data URL where the provider accepts that.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{ProviderError, Result};
use crate::provider::ImageInput;

/// The string to put in the request for `image`.
pub fn image_ref(image: &ImageInput, model: &str, data_urls_allowed: bool) -> Result<String> {
    if let Some(url) = &image.public_url {
        return Ok(url.clone());
    }
    if data_urls_allowed {
        return Ok(format!(
            "data:{};base64,{}",
            image.mime,
            STANDARD.encode(&image.bytes)
        ));
    }
    Err(ProviderError::Unsupported {
        model: model.into(),
        reason: "it fetches images by URL only; configure the server's public base URL".into(),
    })
}

/// Every image of `images` as `image_ref`s.
pub fn image_refs(
    images: &[ImageInput],
    model: &str,
    data_urls_allowed: bool,
) -> Result<Vec<String>> {
    images
        .iter()
        .map(|i| image_ref(i, model, data_urls_allowed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_first_then_data_url() {
        let mut img = ImageInput {
            bytes: bytes::Bytes::from_static(b"\x89PNG"),
            mime: "image/png".into(),
            public_url: None,
        };
        assert_eq!(
            image_ref(&img, "m", true).expect("data"),
            "data:image/png;base64,iVBORw=="
        );
        assert!(image_ref(&img, "m", false).is_err());
        img.public_url = Some("https://cdn.example/a.png".into());
        assert_eq!(
            image_ref(&img, "m", false).expect("url"),
            "https://cdn.example/a.png"
        );
    }
}
