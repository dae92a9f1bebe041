//! MP4 stores H.264 and HEVC as length-prefixed NAL units with the
//! parameter sets in the `avcC` or `hvcC` record; OpenH264 and libavcodec
//! (which we give no extradata) want an Annex B byte stream (start codes).
//! These helpers do that conversion without touching the NAL payloads.

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// What the conversion needs from an `avcC` or `hvcC` record.
#[derive(Debug, Clone)]
pub(crate) struct NalConfig {
    /// Bytes of each NAL length prefix in the samples (1, 2 or 4).
    length_size: usize,
    /// The parameter sets (SPS and PPS; for HEVC also VPS and any SEI the
    /// record carries), each behind a start code.
    pub parameter_sets: Vec<u8>,
}

impl NalConfig {
    /// Reads an `avcC` body (ISO/IEC 14496-15 §5.3.3.1).
    pub(crate) fn parse(record: &[u8]) -> Result<Self, String> {
        let mut r = Cursor {
            data: record,
            pos: 0,
        };
        let version = r.u8()?;
        if version != 1 {
            return Err(format!("avcC version {version}, expected 1"));
        }
        r.skip(3)?; // profile, compatibility, level
        let length_size = usize::from(r.u8()? & 0x03) + 1;
        if length_size == 3 {
            return Err("avcC declares 3-byte NAL lengths".to_owned());
        }
        let mut parameter_sets = Vec::new();
        let sps_count = r.u8()? & 0x1f;
        for _ in 0..sps_count {
            r.parameter_set(&mut parameter_sets)?;
        }
        let pps_count = r.u8()?;
        for _ in 0..pps_count {
            r.parameter_set(&mut parameter_sets)?;
        }
        Ok(Self {
            length_size,
            parameter_sets,
        })
    }

    /// Reads an `hvcC` body (ISO/IEC 14496-15 §8.3.3.1).
    pub(crate) fn parse_hvcc(record: &[u8]) -> Result<Self, String> {
        let mut r = Cursor {
            data: record,
            pos: 0,
        };
        let version = r.u8()?;
        if version != 1 {
            return Err(format!("hvcC version {version}, expected 1"));
        }
        // Profile, tier and level (12 bytes), segmentation, parallelism,
        // chroma format, bit depths and frame rate (8 bytes).
        r.skip(20)?;
        let length_size = usize::from(r.u8()? & 0x03) + 1;
        if length_size == 3 {
            return Err("hvcC declares 3-byte NAL lengths".to_owned());
        }
        let mut parameter_sets = Vec::new();
        let arrays = r.u8()?;
        for _ in 0..arrays {
            r.skip(1)?; // completeness and NAL unit type
            let count = r.u16()?;
            for _ in 0..count {
                r.parameter_set(&mut parameter_sets)?;
            }
        }
        Ok(Self {
            length_size,
            parameter_sets,
        })
    }

    /// Appends `sample` to `out` with every length prefix replaced by a
    /// start code.
    pub(crate) fn sample_to_annex_b(&self, sample: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut r = Cursor {
            data: sample,
            pos: 0,
        };
        while r.remaining() > 0 {
            let len = r
                .bytes(self.length_size)?
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(r.bytes(len)?);
        }
        Ok(())
    }

    /// Whether the first picture slice of `sample` is an H.264 IDR slice
    /// (NAL type 5), after which nothing refers to earlier pictures.
    pub(crate) fn starts_with_idr(&self, sample: &[u8]) -> bool {
        let mut r = Cursor {
            data: sample,
            pos: 0,
        };
        while let Ok(len) = r.bytes(self.length_size) {
            let len = len
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            let Ok(nal) = r.bytes(len) else { return false };
            match nal.first().map(|b| b & 0x1f) {
                Some(5) => return true,
                Some(1..=4) => return false,
                _ => {}
            }
        }
        false
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn bytes(&mut self, len: usize) -> Result<&'a [u8], String> {
        let out = self
            .data
            .get(self.pos..self.pos.saturating_add(len))
            .ok_or_else(|| {
                format!(
                    "NAL data ends early: {len} bytes wanted at byte {}, {} left",
                    self.pos,
                    self.remaining()
                )
            })?;
        self.pos += len;
        Ok(out)
    }

    fn skip(&mut self, len: usize) -> Result<(), String> {
        self.bytes(len).map(|_| ())
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads one parameter set as a configuration record stores it (a
    /// 16-bit length, then the NAL unit) onto `out` behind a start code.
    fn parameter_set(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let len = usize::from(self.u16()?);
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(self.bytes(len)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_config_and_samples() {
        // version 1, profile 0x64, compat 0, level 0x1f, 4-byte lengths,
        // one 3-byte SPS, one 2-byte PPS.
        let record = [
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 1, 2, 1, 0, 2, 0x68, 9,
        ];
        let config = NalConfig::parse(&record).unwrap();
        assert_eq!(
            config.parameter_sets,
            [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 9]
        );
        let sample = [0, 0, 0, 2, 0x65, 7, 0, 0, 0, 1, 0x06];
        let mut out = Vec::new();
        config.sample_to_annex_b(&sample, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x65, 7, 0, 0, 0, 1, 0x06]);
    }

    #[test]
    fn rejects_truncated_nal() {
        let record = [1, 0x64, 0, 0x1f, 0xfd, 0xe0, 0];
        let config = NalConfig::parse(&record).unwrap();
        let mut out = Vec::new();
        let err = config
            .sample_to_annex_b(&[0, 9, 1, 2], &mut out)
            .unwrap_err();
        assert!(err.contains("ends early"), "{err}");
        assert!(NalConfig::parse(&[1, 0x64]).is_err());
    }

    #[test]
    fn converts_hevc_config() {
        // version 1, 21 bytes of profile and format, 4-byte lengths, two
        // arrays: one 2-byte VPS, then one 3-byte SPS and one 2-byte PPS
        // (an array may hold several NAL units).
        let mut record = vec![1];
        record.extend([0; 20]);
        record.extend([0x0f, 2]);
        record.extend([0xa0, 0, 1, 0, 2, 0x40, 1]);
        record.extend([0xa1, 0, 2, 0, 3, 0x42, 1, 2, 0, 2, 0x44, 1]);
        let config = NalConfig::parse_hvcc(&record).unwrap();
        assert_eq!(
            config.parameter_sets,
            [
                0, 0, 0, 1, 0x40, 1, 0, 0, 0, 1, 0x42, 1, 2, 0, 0, 0, 1, 0x44, 1
            ]
        );
        let mut out = Vec::new();
        config
            .sample_to_annex_b(&[0, 0, 0, 3, 0x26, 1, 9], &mut out)
            .unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x26, 1, 9]);
        let cut = &record[..record.len() - 1];
        let err = NalConfig::parse_hvcc(cut).unwrap_err();
        assert!(err.contains("ends early"), "{err}");
    }
}
