//! dashscope adapter (in progress).
