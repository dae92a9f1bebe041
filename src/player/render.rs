//! Draws one screen's decoded pictures into its canvas: the planes are
//! uploaded with `write_texture` into this screen's textures and converted
//! by `yuv.wgsl` with the canvas's own GPU context. Handing a `VideoFrame`
//! to the GPU directly fails on some adapters (SwiftShader's WebGPU among
//! them), so planes go as bytes.

use web_sys::HtmlCanvasElement;

use super::gpu::Gpu;
use chorus_media::Picture;

/// The three plane textures of the picture size currently uploaded.
struct Planes {
    size: (u32, u32),
    y: wgpu::Texture,
    u: wgpu::Texture,
    v: wgpu::Texture,
    bind_group: wgpu::BindGroup,
}

pub struct Renderer {
    planes: Option<Planes>,
    canvas: HtmlCanvasElement,
    // Last: the plane textures go before the context they live in.
    gpu: Gpu,
}

impl Renderer {
    pub async fn new(canvas: HtmlCanvasElement) -> Result<Self, String> {
        let gpu = Gpu::on_canvas(&canvas).await?;
        Ok(Self {
            planes: None,
            canvas,
            gpu,
        })
    }

    /// "WebGPU" or "WebGL2".
    pub fn backend(&self) -> &'static str {
        self.gpu.backend
    }

    fn plane_texture(&self, label: &str, width: u32, height: u32) -> wgpu::Texture {
        self.gpu.device.create_texture(&wgpu::TextureDescriptor {
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
            let bind_group = self
                .gpu
                .device
                .create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("planes"),
                    layout: &self.gpu.pipeline.get_bind_group_layout(0),
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
                            resource: wgpu::BindingResource::Sampler(&self.gpu.sampler),
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
        self.gpu.queue.write_texture(
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

    /// Uploads `picture` and draws it at the canvas's size.
    pub fn draw(&mut self, picture: &Picture) -> Result<(), String> {
        let (w, h) = (picture.width, picture.height);
        let (cw, ch) = picture.chroma_size();
        self.ensure_planes(w, h);
        let planes = self.planes.as_ref().ok_or("no plane textures")?;
        self.upload(&planes.y, picture.y(), w, h);
        self.upload(&planes.u, picture.u(), cw, ch);
        self.upload(&planes.v, picture.v(), cw, ch);
        let (width, height) = (self.canvas.width().max(1), self.canvas.height().max(1));
        self.gpu.draw(width, height, &planes.bind_group)
    }
}
