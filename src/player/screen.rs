//! One screen of a transport: a take's frames (index, WebCodecs decoder,
//! frame cache) drawn into one canvas with the page's shared GPU.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlCanvasElement;

use super::frames::FrameSource;
use super::picture::Picture;
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
    /// Opens `url` and readies `canvas` to show it at the picture's size.
    pub async fn open(url: &str, canvas: HtmlCanvasElement) -> Result<Self, String> {
        let frames = FrameSource::open(url).await?;
        canvas.set_width(frames.track.width.max(1));
        canvas.set_height(frames.track.height.max(1));
        let renderer = Renderer::new(canvas.clone()).await?;
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
}
