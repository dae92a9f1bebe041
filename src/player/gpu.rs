//! The page's one GPU context for pictures: every screen on the page (the
//! Library's players, the compare view's screens, review pages) draws with
//! this one wgpu device, WebGL2 or, when the page asks for it and the
//! browser has an adapter, WebGPU. Browsers allow about sixteen live WebGL
//! contexts per page and drop the oldest beyond that, so screens must not
//! each own one.
//!
//! WebGL ties a context to one canvas, so the device draws into a hidden
//! stage (an `OffscreenCanvas`), and each finished picture is handed to
//! its screen's visible canvas as an `ImageBitmap` (`transferToImageBitmap`,
//! then the screen's `bitmaprenderer` context takes it): the drawing buffer
//! itself changes hands, with no copy and no read-back on the page's
//! thread, and the screen's canvas holds no GPU context of its own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use web_sys::{ImageBitmap, OffscreenCanvas};
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
    /// The hidden canvas every picture is drawn on first.
    stage: OffscreenCanvas,
    surface: wgpu::Surface<'static>,
    config: RefCell<wgpu::SurfaceConfiguration>,
    pub pipeline: wgpu::RenderPipeline,
    pub sampler: wgpu::Sampler,
    /// "WebGPU" or "WebGL2", for the debug overlay and tests.
    pub backend: &'static str,
}

thread_local! {
    static SHARED: RefCell<Option<Rc<Gpu>>> = const { RefCell::new(None) };
    static OPENING: Cell<bool> = const { Cell::new(false) };
}

impl Gpu {
    /// The page's GPU, set up by the first screen that asks; the others
    /// wait for it rather than open a second context.
    pub async fn shared() -> Result<Rc<Self>, String> {
        loop {
            if let Some(gpu) = SHARED.with_borrow(Clone::clone) {
                return Ok(gpu);
            }
            if !OPENING.replace(true) {
                break;
            }
            TimeoutFuture::new(5).await;
        }
        let opened = Self::open().await.map(Rc::new);
        if let Ok(gpu) = &opened {
            SHARED.set(Some(Rc::clone(gpu)));
        }
        OPENING.set(false);
        opened
    }

    async fn open() -> Result<Self, String> {
        let stage = OffscreenCanvas::new(16, 16)
            .map_err(|_| "this browser has no OffscreenCanvas to draw on")?;
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        // WebGPU drew nothing (a black canvas, no validation error) on the
        // SwiftShader adapter our browser tests get, so it is opt-in with
        // `?gpu=webgpu` until it is proven on real GPUs; WebGL2 is the default.
        desc.backends = if webgpu_requested() {
            wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL
        } else {
            wgpu::Backends::GL
        };
        let instance = new_instance_with_webgpu_detection(desc).await;
        // WebGL needs the surface before the adapter: the canvas's context is
        // the adapter.
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::OffscreenCanvas(stage.clone()))
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
        let mut config = surface
            .get_default_config(&adapter, 16, 16)
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
            stage,
            surface,
            config: RefCell::new(config),
            pipeline,
            sampler,
            backend,
        })
    }

    /// Runs `encode` into the stage at `width`×`height`, presents it and
    /// takes the finished picture off the stage, for a screen's canvas.
    pub fn draw_on_stage(
        &self,
        width: u32,
        height: u32,
        encode: impl FnOnce(&mut wgpu::RenderPass<'_>),
    ) -> Result<ImageBitmap, String> {
        {
            let mut config = self.config.borrow_mut();
            if (config.width, config.height) != (width, height) && width > 0 && height > 0 {
                config.width = width;
                config.height = height;
                self.surface.configure(&self.device, &config);
            }
        }
        let (wgpu::CurrentSurfaceTexture::Success(frame)
        | wgpu::CurrentSurfaceTexture::Suboptimal(frame)) = self.surface.get_current_texture()
        else {
            self.surface.configure(&self.device, &self.config.borrow());
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
            encode(&mut pass);
        }
        self.queue.submit([encoder.finish()]);
        self.queue.present(frame);
        self.stage
            .transfer_to_image_bitmap()
            .map_err(|_| "the picture could not be taken off the stage".to_string())
    }
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
