//! One variant's picture in the compare view: its own frame-exact engine
//! (index, WebCodecs decoder, frame cache) and its own wgpu canvas, so the
//! compare view is one player per variant under one clock.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlCanvasElement;

use crate::player::engine::Engine;
use crate::player::picture::Picture;
use crate::player::probe::Probe;
use crate::player::render::Renderer;

pub struct Screen {
    pub engine: Rc<Engine>,
    renderer: RefCell<Renderer>,
    canvas: HtmlCanvasElement,
    probe: Option<Probe>,
}

impl Screen {
    /// Opens `url` and readies `canvas` to show it.
    pub async fn open(url: &str, canvas: HtmlCanvasElement) -> Result<Self, String> {
        let engine = Engine::open(url).await?;
        canvas.set_width(engine.track.width.max(1));
        canvas.set_height(engine.track.height.max(1));
        let renderer = Renderer::new(canvas.clone()).await?;
        Ok(Self {
            engine,
            renderer: RefCell::new(renderer),
            canvas,
            probe: Probe::new(),
        })
    }

    pub fn backend(&self) -> &'static str {
        self.renderer.borrow().backend
    }

    pub async fn picture(&self, frame: usize) -> Result<Rc<Picture>, String> {
        self.engine.picture(frame).await
    }

    /// Draws `picture`; returns the checksum of what is now on screen.
    pub fn draw(&self, picture: &Picture) -> Result<Option<u32>, String> {
        {
            let mut renderer = self.renderer.borrow_mut();
            renderer.resize(self.canvas.width(), self.canvas.height());
            renderer.draw(picture)?;
        }
        Ok(self.probe.as_ref().and_then(|p| p.checksum(&self.canvas)))
    }
}
