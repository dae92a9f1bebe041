//! One screen of a transport: a take's frames (index, WebCodecs decoder,
//! frame cache) drawn into one canvas with its own GPU context.

use std::cell::RefCell;
use std::rc::Rc;

use chorus_media::Picture;
use web_sys::HtmlCanvasElement;

use super::frames::FrameSource;
use super::probe::Probe;
use super::render::Renderer;
use super::transport::Screen;

pub struct CanvasScreen {
    pub frames: Rc<FrameSource>,
    renderer: RefCell<Renderer>,
    canvas: HtmlCanvasElement,
    probe: Option<Probe>,
}

impl CanvasScreen {
    /// Opens `url` and readies `canvas` to show it: pictures are kept and
    /// drawn at about the size the canvas takes on screen, and the whole
    /// take is decoded ahead when it fits the cache.
    pub async fn open(url: &str, canvas: HtmlCanvasElement) -> Result<Self, String> {
        let frames = FrameSource::open(url, shown_size(&canvas)).await?;
        let (width, height) = frames.picture_size();
        canvas.set_width(width.max(1));
        canvas.set_height(height.max(1));
        let renderer = Renderer::new(canvas.clone()).await?;
        frames.fill();
        Ok(Self {
            frames,
            renderer: RefCell::new(renderer),
            canvas,
            probe: Probe::new(),
        })
    }

    /// "WebGPU" or "WebGL2".
    pub fn backend(&self) -> &'static str {
        self.renderer.borrow().backend()
    }
}

/// The canvas's box on screen in device pixels (at most two per CSS
/// pixel: sharper than that is not worth four times the memory), or zero
/// when it is not laid out.
fn shown_size(canvas: &HtmlCanvasElement) -> (u32, u32) {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 2.0);
    let device = |css: i32| (f64::from(css.max(0)) * ratio).round() as u32;
    (device(canvas.client_width()), device(canvas.client_height()))
}

impl Screen for CanvasScreen {
    fn frame_count(&self) -> usize {
        self.frames.frame_count()
    }

    fn fps(&self) -> f64 {
        self.frames.fps()
    }

    fn is_cached(&self, frame: usize) -> bool {
        self.frames.is_cached(frame)
    }

    async fn picture(&self, frame: usize) -> Result<Rc<Picture>, String> {
        self.frames.picture(frame).await
    }

    fn draw(&self, picture: &Picture) -> Result<Option<u32>, String> {
        self.renderer.borrow_mut().draw(picture)?;
        Ok(self.probe.as_ref().and_then(|p| p.checksum(&self.canvas)))
    }

    fn playing(&self, playing: bool) {
        self.frames.set_playing(playing);
    }
}
