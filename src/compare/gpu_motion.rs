//! Block motion energy on the GPU: a wgpu compute shader (`motion.wgsl`) that
//! computes, from the luma planes the player decodes, the same numbers as
//! chorus-sync's CPU `MotionAnalyzer`. Compute shaders need WebGPU; without
//! an adapter `GpuMotion::new` says why and the caller uses the CPU path.
//!
//! Frames go in one at a time (upload, downscale, block difference, one
//! submit each); all frames' results stay on the GPU and are read back once.

use chorus_sync::MotionGrid;
use wgpu::util::new_instance_with_webgpu_detection;

use crate::player::gpu::open_device;

/// Bytes of the uniform block (`Params` in the shader, padded to 16).
const PARAMS_BYTES: usize = 48;
const WORKGROUP: u32 = 8;

pub struct GpuMotion {
    // Browsers stop serving a device whose instance was dropped.
    _instance: wgpu::Instance,
    device: wgpu::Device,
    queue: wgpu::Queue,
    downscale: wgpu::ComputePipeline,
    blocks: wgpu::ComputePipeline,
    /// Adapter name, for the report ("SwiftShader", a real GPU's name…).
    pub adapter: String,
}

/// One clip's run: buffers sized for its grid and frame count.
pub struct MotionRun<'a> {
    gpu: &'a GpuMotion,
    grid: MotionGrid,
    frames: usize,
    pushed: usize,
    params: wgpu::Buffer,
    luma: wgpu::Buffer,
    motion: wgpu::Buffer,
    /// `[k % 2]`: the downscale of frame k writes small buffer k % 2 and
    /// the block pass compares it with the other.
    downscale_groups: [wgpu::BindGroup; 2],
    block_groups: [wgpu::BindGroup; 2],
    /// The plane padded to whole u32 words, reused between frames.
    staging: Vec<u8>,
}

impl GpuMotion {
    pub async fn new() -> Result<Self, String> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
        let instance = new_instance_with_webgpu_detection(desc).await;
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions::default())
            .await
            .map_err(|e| format!("no WebGPU adapter for compute ({e})"))?;
        if adapter.get_info().backend != wgpu::Backend::BrowserWebGpu {
            return Err("compute shaders need WebGPU; this browser offers WebGL only".into());
        }
        let adapter_name = adapter.get_info().name;
        let (device, queue) =
            open_device(&adapter, "motion", wgpu::Limits::downlevel_defaults()).await?;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("motion"),
            source: wgpu::ShaderSource::Wgsl(include_str!("motion.wgsl").into()),
        });
        let pipeline = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            })
        };
        let downscale = pipeline("downscale");
        let blocks = pipeline("blocks");
        Ok(Self {
            _instance: instance,
            device,
            queue,
            downscale,
            blocks,
            adapter: if adapter_name.is_empty() {
                "WebGPU".into()
            } else {
                adapter_name
            },
        })
    }

    /// Starts a clip of `frames` frames cut into `grid`.
    pub fn start(&self, grid: MotionGrid, frames: usize) -> MotionRun<'_> {
        let storage = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(4),
                usage: wgpu::BufferUsages::STORAGE | usage,
                mapped_at_creation: false,
            })
        };
        let plane_bytes = u64::from(grid.frame_width) * u64::from(grid.frame_height);
        let small_w = grid.frame_width / grid.factor;
        let small_h = grid.frame_height / grid.factor;
        let small_bytes = u64::from(small_w) * u64::from(small_h) * 4;
        let motion_bytes = (frames * grid.blocks() * 4) as u64;
        let params = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: PARAMS_BYTES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let luma = storage(
            "luma",
            plane_bytes.div_ceil(4) * 4,
            wgpu::BufferUsages::COPY_DST,
        );
        let small = [
            storage("small0", small_bytes, wgpu::BufferUsages::empty()),
            storage("small1", small_bytes, wgpu::BufferUsages::empty()),
        ];
        // Zeroed at creation: frame 0 has motion 0, as on the CPU.
        let motion = storage("motion", motion_bytes, wgpu::BufferUsages::COPY_SRC);
        let downscale_group = |k: usize| {
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("downscale"),
                layout: &self.downscale.get_bind_group_layout(0),
                entries: &[entry(0, &params), entry(1, &luma), entry(2, &small[k])],
            })
        };
        let block_group = |k: usize| {
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("blocks"),
                layout: &self.blocks.get_bind_group_layout(0),
                entries: &[
                    entry(0, &params),
                    entry(2, &small[k]),
                    entry(3, &small[1 - k]),
                    entry(4, &motion),
                ],
            })
        };
        MotionRun {
            gpu: self,
            grid,
            frames,
            pushed: 0,
            downscale_groups: [downscale_group(0), downscale_group(1)],
            block_groups: [block_group(0), block_group(1)],
            params,
            luma,
            motion,
            staging: Vec::with_capacity(plane_bytes as usize + 4),
        }
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

impl MotionRun<'_> {
    /// Queues the next frame's luma plane (tightly packed, `grid`'s size).
    pub fn push(&mut self, y: &[u8]) -> Result<(), String> {
        let grid = self.grid;
        let plane = grid.frame_width as usize * grid.frame_height as usize;
        if y.len() < plane {
            return Err(format!(
                "a luma plane of {} bytes is too small for {}×{}",
                y.len(),
                grid.frame_width,
                grid.frame_height
            ));
        }
        if self.pushed >= self.frames {
            return Err(format!("more than the {} frames announced", self.frames));
        }
        let k = self.pushed;
        let small_w = grid.frame_width / grid.factor;
        let small_h = grid.frame_height / grid.factor;
        let words = [
            grid.frame_width,
            grid.frame_height,
            grid.factor,
            grid.block,
            small_w,
            small_h,
            grid.cols,
            grid.rows,
            (k * grid.blocks()) as u32,
            0,
            0,
            0,
        ];
        let params: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.staging.clear();
        self.staging.extend_from_slice(&y[..plane]);
        self.staging.resize(plane.div_ceil(4) * 4, 0);
        let queue = &self.gpu.queue;
        queue.write_buffer(&self.params, 0, &params);
        queue.write_buffer(&self.luma, 0, &self.staging);
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("motion frame"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.gpu.downscale);
            pass.set_bind_group(0, &self.downscale_groups[k % 2], &[]);
            pass.dispatch_workgroups(small_w.div_ceil(WORKGROUP), small_h.div_ceil(WORKGROUP), 1);
            if k > 0 {
                pass.set_pipeline(&self.gpu.blocks);
                pass.set_bind_group(0, &self.block_groups[k % 2], &[]);
                pass.dispatch_workgroups(
                    grid.cols.div_ceil(WORKGROUP),
                    grid.rows.div_ceil(WORKGROUP),
                    1,
                );
            }
        }
        queue.submit([encoder.finish()]);
        self.pushed += 1;
        Ok(())
    }

    /// Reads every pushed frame's block motions back, frame-major.
    pub async fn finish(self) -> Result<Vec<f32>, String> {
        let count = self.pushed * self.grid.blocks();
        let bytes = (count * 4) as u64;
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let device = &self.gpu.device;
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("motion readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("motion readback"),
        });
        encoder.copy_buffer_to_buffer(&self.motion, 0, &readback, 0, bytes);
        self.gpu.queue.submit([encoder.finish()]);
        let (done, wait) = futures_channel::oneshot::channel();
        readback.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = done.send(result);
        });
        wait.await
            .map_err(|_| "the GPU dropped the motion read-back".to_string())?
            .map_err(|e| format!("could not read the motion back from the GPU ({e})"))?;
        let values = {
            let view = readback
                .get_mapped_range(..)
                .map_err(|e| format!("could not map the motion read-back ({e})"))?;
            view.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        readback.unmap();
        Ok(values)
    }
}
