//! Calls to the Chorus server (same origin, JSON). Every failure becomes an
//! `ApiError` that can say, in words, what went wrong; the server's
//! `ErrorBody` is kept whole so field problems reach the page.

use chorus_core::api::{
    AudioShiftRequest, DeletedJob, ErrorBody, JobList, LibraryUsage, SpeechFitRequest,
    SpeechFitResponse, UploadedAsset,
};
use chorus_core::{GenerationRequest, Job, JobId, Language, ModelSpec};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
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

/// Reads an answer with no body (204) on success, else the error body.
pub(crate) async fn read_empty(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        return Ok(());
    }
    read::<serde_json::Value>(response).await.map(|_| ())
}

pub(crate) fn network(err: &gloo_net::Error) -> ApiError {
    ApiError::Network(err.to_string())
}

/// `GET path`, its answer read as `T` (a 401 sends the person to sign in).
pub(crate) async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(|e| network(&e))?;
    read(response).await
}

/// Sends `request` with `body` as JSON; the answer is the caller's to read.
pub(crate) async fn send(
    request: RequestBuilder,
    body: &impl Serialize,
) -> Result<Response, ApiError> {
    request
        .json(body)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))
}

/// Sends `request` with no body.
pub(crate) async fn send_empty(request: RequestBuilder) -> Result<Response, ApiError> {
    request.send().await.map_err(|e| network(&e))
}

thread_local! {
    /// What the studio does when the server says the caller is not signed
    /// in (401): set by `access` for studio pages only, so a review page's
    /// own answers never send a client to the studio's sign-in.
    static ON_SIGNED_OUT: std::cell::RefCell<Option<std::rc::Rc<dyn Fn()>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `hook` whenever a studio call is answered 401.
pub fn on_signed_out(hook: impl Fn() + 'static) {
    ON_SIGNED_OUT.with(|h| *h.borrow_mut() = Some(std::rc::Rc::new(hook)));
}

/// Tells the studio its session is gone (expired, revoked, signed out
/// elsewhere), so it asks the person to sign in again.
pub(crate) fn notice(status: u16) {
    if status == 401 {
        // Cloned out first: the hook may set signals that run other calls.
        let hook = ON_SIGNED_OUT.with(|h| h.borrow().clone());
        if let Some(hook) = hook {
            hook();
        }
    }
}

/// Reads a success body as `T`, or the error body otherwise; a 401 also
/// sends the person to sign in.
pub(crate) async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    notice(response.status());
    read_quietly(response).await
}

/// [`read`] without the sign-in hook: for sign-in itself, whose 401 means
/// a wrong password, and for asking who is signed in.
pub(crate) async fn read_quietly<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
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
    create_job_at("/api/jobs", request).await
}

/// Creates the job even though some translated lines are not approved:
/// the person was asked and said so.
pub async fn create_job_unapproved(request: &GenerationRequest) -> Result<Job, ApiError> {
    create_job_at("/api/jobs?unapproved=confirmed", request).await
}

async fn create_job_at(path: &str, request: &GenerationRequest) -> Result<Job, ApiError> {
    read(send(Request::post(path), request).await?).await
}

/// One page of jobs at `path` (`/api/jobs?…`, see `LibraryQuery`).
pub async fn jobs(path: &str) -> Result<JobList, ApiError> {
    let response = Request::get(path)
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// Hides the job at once (cancelling it first if it runs); it can be
/// restored until `restore_until`, then it is removed for good.
pub async fn delete_job(id: &JobId) -> Result<DeletedJob, ApiError> {
    let response = Request::delete(&format!("/api/jobs/{id}"))
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn restore_job(id: &JobId) -> Result<Job, ApiError> {
    let response = Request::post(&format!("/api/jobs/{id}/restore"))
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// What the Library takes in the store.
pub async fn library_usage() -> Result<LibraryUsage, ApiError> {
    let response = Request::get("/api/library/usage")
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

/// An import on its way to the server: [`ImportUpload::cancel`] stops it,
/// [`ImportUpload::finished`] waits for the server's answer.
pub struct ImportUpload {
    xhr: web_sys::XmlHttpRequest,
    done: wasm_bindgen_futures::JsFuture,
    _progress: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::ProgressEvent)>,
}

/// Sends `clips` to `POST /api/imports`, each file after a `language`
/// field, reporting `(sent, total)` bytes as they go. XMLHttpRequest
/// rather than fetch, because only it tells how much of the body is sent:
/// a 2 GB clip needs a progress bar.
pub fn import_clips(
    clips: &[(web_sys::File, Option<Language>)],
    on_progress: impl Fn(f64, f64) + 'static,
) -> Result<ImportUpload, ApiError> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;

    let failed = |what: &str| ApiError::Network(what.to_string());
    let form = web_sys::FormData::new().map_err(|_| failed("no FormData"))?;
    for (file, language) in clips {
        let code = language.map_or("none", Language::code);
        form.append_with_str("language", code)
            .map_err(|_| failed("could not name the language"))?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(|_| failed("could not attach the file"))?;
    }
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| failed("no XMLHttpRequest"))?;
    xhr.open("POST", "/api/imports")
        .map_err(|_| failed("could not open the upload"))?;
    let progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() {
                on_progress(e.loaded(), e.total());
            }
        });
    xhr.upload()
        .map_err(|_| failed("no upload events"))?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let settled = js_sys::Promise::new(&mut |resolve, _reject| {
        xhr.set_onloadend(Some(&resolve));
    });
    xhr.send_with_opt_form_data(Some(&form))
        .map_err(|_| failed("the upload could not start"))?;
    Ok(ImportUpload {
        xhr,
        done: wasm_bindgen_futures::JsFuture::from(settled),
        _progress: progress,
    })
}

/// Stops an import on its way; the server keeps nothing of a cut-off one.
#[derive(Clone)]
pub struct ImportCanceller(web_sys::XmlHttpRequest);

impl ImportCanceller {
    pub fn cancel(&self) {
        let _ = self.0.abort();
    }
}

impl ImportUpload {
    /// What stops this upload, to keep while waiting for it.
    pub fn canceller(&self) -> ImportCanceller {
        ImportCanceller(self.xhr.clone())
    }

    /// The job the clips became, or why the server refused them.
    pub async fn finished(self) -> Result<Job, ApiError> {
        let ImportUpload {
            xhr,
            done,
            _progress,
        } = self;
        let _ = done.await;
        let status = xhr.status().unwrap_or(0);
        notice(status);
        if status == 0 {
            return Err(ApiError::Network("the upload was stopped".into()));
        }
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|_| ApiError::Http { status });
        }
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ApiError::Rejected { status, body }),
            Err(_) => Err(ApiError::Http { status }),
        }
    }
}
