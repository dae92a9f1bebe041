//! One screen's GPU context: the screen's own canvas holds a WebGL2
//! context (or, when the page asks for it and the browser has an adapter,
//! a WebGPU one) and wgpu draws straight into it. Presenting is then the
//! browser's compositor's work, off the page's thread: handing a finished
//! picture from a shared hidden canvas to each screen (`transferToImageBitmap`)
//! made the page's thread wait for the GPU on every picture, about 8 ms at
//! 640×360 on a software GPU, which cost two playing screens a third of
//! the page's frames.
//!
//! Browsers keep about sixteen live WebGL contexts per page and drop the
//! oldest beyond that, so a screen whose canvas has left the page gives
//! its context back (`WEBGL_lose_context`) rather than wait for the
//! collector: a page holds as many as it shows screens (one to four). A
//! canvas that stays (a new version of a take shown in its place) keeps
//! its context for the next screen.
//!
//! The drawing buffer is preserved, so what is on screen can be read back
//! at any time (tests, screenshots) without being drawn again.

use gloo_timers::future::TimeoutFuture;
use js_sys::{Object, Reflect};
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlCanvasElement, WebGl2RenderingContext, WebglLoseContext};
use wgpu::util::new_instance_with_webgpu_detection;

/// True when the page URL asks for WebGPU (`gpu=webgpu` in the query).
fn webgpu_requested() -> bool {
    crate::dom::query_value("gpu").as_deref() == Some("webgpu")
}

pub struct Gpu {
    // Browsers stop serving a WebGPU device whose instance was dropped.
    _instance: wgpu::Instance,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    pub pipeline: wgpu::RenderPipeline,
    pub sampler: wgpu::Sampler,
    /// "WebGPU" or "WebGL2", for the debug overlay and tests.
    pub backend: &'static str,
    /// The WebGL context, given back on drop, and its canvas.
    webgl: Option<WebGl2RenderingContext>,
    canvas: HtmlCanvasElement,
}

impl Gpu {
    /// A GPU context on `canvas`, for drawing pictures into it.
    pub async fn on_canvas(canvas: &HtmlCanvasElement) -> Result<Self, String> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        // WebGPU drew nothing (a black canvas, no validation error) on the
        // SwiftShader adapter our browser tests get, so it is opt-in with
        // `?gpu=webgpu` until it is proven on real GPUs; WebGL2 is the default.
        let webgpu = webgpu_requested();
        desc.backends = if webgpu {
            wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL
        } else {
            wgpu::Backends::GL
        };
        // wgpu asks the canvas for its WebGL2 context and gets this one:
        // the first request's options are the ones that hold.
        let webgl = if webgpu { None } else { Some(preserved_webgl(canvas)?) };
        let instance = new_instance_with_webgpu_detection(desc).await;
        // WebGL needs the surface before the adapter: the canvas's context is
        // the adapter.
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
            .map_err(|e| format!("no drawing surface: {e}"))?;
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                compatible_surface: Some(&surface),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("no GPU adapter (WebGPU or WebGL2): {e}"))?;
        let backend = if adapter.get_info().backend == wgpu::Backend::BrowserWebGpu {
            "WebGPU"
        } else {
            "WebGL2"
        };
        let (device, queue) = open_device(
            &adapter,
            "pictures",
            wgpu::Limits::downlevel_webgl2_defaults(),
        )
        .await?;
        let (width, height) = (canvas.width().max(1), canvas.height().max(1));
        let mut config = surface
            .get_default_config(&adapter, width, height)
            .ok_or("the canvas cannot be drawn to")?;
        // The shader writes gamma-encoded values already; an sRGB target
        // would encode them twice and wash the picture out.
        let caps = surface.get_capabilities(&adapter);
        if let Some(format) = caps.formats.iter().find(|f| !f.is_srgb()) {
            config.format = *format;
        }
        surface.configure(&device, &config);
        let pipeline = yuv_pipeline(&device, config.format);
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("planes"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Ok(Self {
            _instance: instance,
            device,
            queue,
            surface,
            config,
            pipeline,
            sampler,
            backend,
            webgl,
            canvas: canvas.clone(),
        })
    }

    /// Draws the picture whose plane textures `planes` binds into the
    /// canvas at `width`×`height` and presents it. Returns at once: the
    /// browser finishes the picture on its own time.
    pub fn draw(
        &mut self,
        width: u32,
        height: u32,
        planes: &wgpu::BindGroup,
    ) -> Result<(), String> {
        if (self.config.width, self.config.height) != (width, height) && width > 0 && height > 0 {
            self.config.width = width;
            self.config.height = height;
            self.surface.configure(&self.device, &self.config);
        }
        let (wgpu::CurrentSurfaceTexture::Success(frame)
        | wgpu::CurrentSurfaceTexture::Suboptimal(frame)) = self.surface.get_current_texture()
        else {
            self.surface.configure(&self.device, &self.config);
            return Err("the canvas was not ready to draw".into());
        };
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("draw"),
            });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("picture"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, planes, &[]);
            pass.draw(0..3, 0..1);
        }
        self.queue.submit([encoder.finish()]);
        self.queue.present(frame);
        Ok(())
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        let Some(gl) = self.webgl.take() else {
            return;
        };
        let canvas = self.canvas.clone();
        // Give the context back once the page has settled, when the canvas
        // has left it (the screen closed); the browser would otherwise count
        // it live until the collector finds the canvas. A canvas still on
        // the page is being handed to its next screen (a new version of the
        // take in the same place), which draws with the same context.
        spawn_local(async move {
            TimeoutFuture::new(RELEASE_AFTER_MS).await;
            if canvas.is_connected() {
                return;
            }
            if let Some(extension) = gl.get_extension("WEBGL_lose_context").ok().flatten() {
                // The extension's interface is not a global to check against.
                extension.unchecked_into::<WebglLoseContext>().lose_context();
            }
        });
    }
}

/// How long after a screen closes its canvas's context is given back.
const RELEASE_AFTER_MS: u32 = 100;

/// `canvas`'s WebGL2 context, made with the drawing buffer preserved and
/// no antialiasing (pictures are drawn as one quad).
fn preserved_webgl(canvas: &HtmlCanvasElement) -> Result<WebGl2RenderingContext, String> {
    let options = Object::new();
    let set = |key: &str, value: bool| {
        let _ = Reflect::set(&options, &key.into(), &JsValue::from_bool(value));
    };
    set("preserveDrawingBuffer", true);
    set("antialias", false);
    canvas
        .get_context_with_context_options("webgl2", &options)
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<WebGl2RenderingContext>().ok())
        .filter(|gl| !gl.is_context_lost())
        .ok_or_else(|| "this browser has no WebGL2 to draw the picture with".to_string())
}

/// A device on `adapter` with `limits` raised to what the adapter allows
/// for textures (pictures are 1080p and more).
pub async fn open_device(
    adapter: &wgpu::Adapter,
    label: &str,
    limits: wgpu::Limits,
) -> Result<(wgpu::Device, wgpu::Queue), String> {
    adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some(label),
            required_limits: limits.using_resolution(adapter.limits()),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("no GPU device for {label}: {e}"))
}

fn yuv_pipeline(device: &wgpu::Device, format: wgpu::TextureFormat) -> wgpu::RenderPipeline {
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("yuv"),
        source: wgpu::ShaderSource::Wgsl(include_str!("yuv.wgsl").into()),
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("yuv"),
        layout: None,
        vertex: wgpu::VertexState {
            module: &shader,
            entry_point: Some("vs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &shader,
            entry_point: Some("fs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            targets: &[Some(format.into())],
        }),
        multiview_mask: None,
        cache: None,
    })
}
