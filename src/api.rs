//! Calls to the Chorus server (same origin, JSON). Every failure becomes an
//! `ApiError` that can say, in words, what went wrong; the server's
//! `ErrorBody` is kept whole so field problems reach the page.

use chorus_core::api::{
    AudioShiftRequest, ErrorBody, JobList, SpeechFitRequest, SpeechFitResponse, UploadedAsset,
};
use chorus_core::{GenerationRequest, Job, JobId, ModelSpec};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone)]
pub enum ApiError {
    /// The server answered with its error shape.
    Rejected { status: u16, body: ErrorBody },
    /// The server answered with something else (a proxy page, say).
    Http { status: u16 },
    /// No answer, or one that could not be read.
    Network(String),
}

impl ApiError {
    /// One sentence for a person.
    pub fn message(&self) -> String {
        match self {
            ApiError::Rejected { body, .. } => body.error.message.clone(),
            ApiError::Http { status } => format!("The server answered {status}; try again"),
            ApiError::Network(why) => format!("Could not reach the Chorus server ({why})"),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Rejected { status, .. } | ApiError::Http { status } => Some(*status),
            ApiError::Network(_) => None,
        }
    }
}

fn network(err: &gloo_net::Error) -> ApiError {
    ApiError::Network(err.to_string())
}

/// Reads a success body as `T`, or the error body otherwise.
async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if response.ok() {
        // A 2xx that is not the expected JSON means something other than the
        // Chorus API answered (an HTML fallback page, say).
        return response
            .json::<T>()
            .await
            .map_err(|_| ApiError::Http { status });
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiError::Rejected { status, body }),
        Err(_) => Err(ApiError::Http { status }),
    }
}

pub async fn models() -> Result<Vec<ModelSpec>, ApiError> {
    let response = Request::get("/api/models")
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn create_job(request: &GenerationRequest) -> Result<Job, ApiError> {
    let response = Request::post("/api/jobs")
        .json(request)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn jobs() -> Result<JobList, ApiError> {
    let response = Request::get("/api/jobs")
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn cancel_job(id: &JobId) -> Result<Job, ApiError> {
    let response = Request::post(&format!("/api/jobs/{id}/cancel"))
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// Uploads one image as the multipart field `file`.
pub async fn upload(file: &web_sys::File) -> Result<UploadedAsset, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Network("no FormData".into()))?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::Network("could not attach the file".into()))?;
    // The browser sets the multipart boundary itself when given FormData.
    let response = Request::post("/api/uploads")
        .body(form)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn speech_fit(request: &SpeechFitRequest) -> Result<SpeechFitResponse, ApiError> {
    let response = Request::post("/api/speech-fit")
        .json(request)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn job(id: &str) -> Result<Job, ApiError> {
    let response = Request::get(&format!("/api/jobs/{id}"))
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// Makes the next version of take `index` with its sound moved `shift_ms`.
pub async fn shift_audio(id: &JobId, index: usize, shift_ms: i32) -> Result<Job, ApiError> {
    let response = Request::post(&format!("/api/jobs/{id}/outputs/{index}/audio-shift"))
        .json(&AudioShiftRequest { shift_ms })
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}
