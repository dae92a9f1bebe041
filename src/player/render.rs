//! Draws decoded pictures into the player's `<canvas>` with wgpu: WebGL2, or
//! WebGPU when the page asks for it and the browser has an adapter. The
//! planes are uploaded with `write_texture` and converted by `yuv.wgsl`;
//! handing a `VideoFrame` to the GPU directly fails on some adapters
//! (SwiftShader's WebGPU among them).

use web_sys::HtmlCanvasElement;
use wgpu::util::new_instance_with_webgpu_detection;

use super::picture::Picture;

/// True when the page URL asks for WebGPU (`gpu=webgpu` in the query).
fn webgpu_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| {
            q.trim_start_matches('?')
                .split('&')
                .any(|p| p == "gpu=webgpu")
        })
}

/// The three plane textures of the picture size currently uploaded.
struct Planes {
    size: (u32, u32),
    y: wgpu::Texture,
    u: wgpu::Texture,
    v: wgpu::Texture,
    bind_group: wgpu::BindGroup,
}

pub struct Renderer {
    // Browsers stop serving a WebGPU device whose instance was dropped.
    _instance: wgpu::Instance,
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    pipeline: wgpu::RenderPipeline,
    sampler: wgpu::Sampler,
    planes: Option<Planes>,
    /// "WebGPU" or "WebGL2", for the debug overlay and tests.
    pub backend: &'static str,
}

impl Renderer {
    pub async fn new(canvas: HtmlCanvasElement) -> Result<Self, String> {
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
        let (width, height) = (canvas.width().max(1), canvas.height().max(1));
        // WebGL needs the surface before the adapter: the canvas's context is
        // the adapter.
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
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
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("player"),
                required_limits: wgpu::Limits::downlevel_webgl2_defaults()
                    .using_resolution(adapter.limits()),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("no GPU device: {e}"))?;
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

        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("yuv"),
            source: wgpu::ShaderSource::Wgsl(include_str!("yuv.wgsl").into()),
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
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
                targets: &[Some(config.format.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("planes"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Ok(Self {
            _instance: instance,
            surface,
            device,
            queue,
            config,
            pipeline,
            sampler,
            planes: None,
            backend,
        })
    }

    /// Resizes the drawing buffer (the canvas element's own width/height).
    pub fn resize(&mut self, width: u32, height: u32) {
        if (width, height) != (self.config.width, self.config.height) && width > 0 && height > 0 {
            self.config.width = width;
            self.config.height = height;
            self.surface.configure(&self.device, &self.config);
        }
    }

    fn plane_texture(&self, label: &str, width: u32, height: u32) -> wgpu::Texture {
        self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        })
    }

    fn ensure_planes(&mut self, width: u32, height: u32) {
        if self
            .planes
            .as_ref()
            .is_none_or(|p| p.size != (width, height))
        {
            let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
            let y = self.plane_texture("y", width, height);
            let u = self.plane_texture("u", cw, ch);
            let v = self.plane_texture("v", cw, ch);
            let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("planes"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&view(&y)),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&view(&u)),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&view(&v)),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: wgpu::BindingResource::Sampler(&self.sampler),
                    },
                ],
            });
            self.planes = Some(Planes {
                size: (width, height),
                y,
                u,
                v,
                bind_group,
            });
        }
    }

    fn upload(&self, texture: &wgpu::Texture, data: &[u8], width: u32, height: u32) {
        self.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            data,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(width),
                rows_per_image: Some(height),
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
    }

    /// Uploads `picture` and draws it over the whole canvas.
    pub fn draw(&mut self, picture: &Picture) -> Result<(), String> {
        let (w, h) = (picture.width, picture.height);
        let (cw, ch) = picture.chroma_size();
        self.ensure_planes(w, h);
        let planes = self.planes.as_ref().ok_or("no plane textures")?;
        self.upload(&planes.y, &picture.y, w, h);
        self.upload(&planes.u, &picture.u, cw, ch);
        self.upload(&planes.v, &picture.v, cw, ch);
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
            pass.set_bind_group(0, &planes.bind_group, &[]);
            pass.draw(0..3, 0..1);
        }
        self.queue.submit([encoder.finish()]);
        self.queue.present(frame);
        Ok(())
    }
}
