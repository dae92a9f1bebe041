//! A decoded picture in plain memory: what the cache holds and the renderer
//! uploads. Pure data, so the cache around it is tested natively.

/// One decoded picture as tightly packed I420 planes in one buffer (Y,
/// then U, then V), as the browser copies it out of a frame: one copy,
/// no splitting.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    data: Vec<u8>,
}

impl Picture {
    /// Bytes of a packed I420 picture of this size.
    pub fn size_of(width: u32, height: u32) -> usize {
        let chroma = width.div_ceil(2) as usize * height.div_ceil(2) as usize;
        width as usize * height as usize + 2 * chroma
    }

    /// The picture in `data` (packed I420 of `width` × `height`), or `None`
    /// when its length is not that.
    pub fn packed(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        (data.len() == Self::size_of(width, height)).then_some(Self {
            width,
            height,
            data,
        })
    }

    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    fn luma_len(&self) -> usize {
        self.width as usize * self.height as usize
    }

    fn chroma_len(&self) -> usize {
        let (cw, ch) = self.chroma_size();
        cw as usize * ch as usize
    }

    pub fn y(&self) -> &[u8] {
        &self.data[..self.luma_len()]
    }

    pub fn u(&self) -> &[u8] {
        &self.data[self.luma_len()..][..self.chroma_len()]
    }

    pub fn v(&self) -> &[u8] {
        &self.data[self.luma_len() + self.chroma_len()..]
    }

    pub fn bytes(&self) -> usize {
        self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_split_a_packed_buffer_odd_sizes_included() {
        // 5 × 3: luma 15, chroma 3 × 2 = 6 each.
        let data: Vec<u8> = (0..27).collect();
        let picture = Picture::packed(5, 3, data).expect("27 bytes is 5 × 3 I420");
        assert_eq!(picture.y(), (0..15).collect::<Vec<u8>>());
        assert_eq!(picture.u(), (15..21).collect::<Vec<u8>>());
        assert_eq!(picture.v(), (21..27).collect::<Vec<u8>>());
        assert_eq!(picture.bytes(), 27);
        assert!(Picture::packed(5, 3, vec![0; 26]).is_none());
    }
}
