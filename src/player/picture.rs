//! A decoded picture in plain memory: what the cache holds and the renderer
//! uploads. Pure data, so the cache around it is tested natively.

/// One decoded picture as tightly packed I420 planes (Y, then U, then V).
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Picture {
    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    pub fn bytes(&self) -> usize {
        self.y.len() + self.u.len() + self.v.len()
    }
}
