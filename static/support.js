// Chorus Studio is WebAssembly built with SIMD (Chrome and Edge 91+,
// Firefox 89+, Safari 16.4+). A browser without it cannot start the app:
// say so instead of leaving the page blank. The probe is the smallest
// module using SIMD: one function returning a 128-bit zero.
const probe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b, // end
]);
const supported = typeof WebAssembly === 'object' && WebAssembly.validate(probe);
if (!supported) {
  const box = document.createElement('div');
  box.className = 'unsupported';
  box.setAttribute('role', 'alert');
  const title = document.createElement('h1');
  title.textContent = 'This browser is too old for Chorus Studio';
  const text = document.createElement('p');
  text.textContent =
    'Open the link in Chrome or Edge 91 or later, Firefox 89 or later, or Safari 16.4 or later (iOS 16.4 on iPhone and iPad).';
  box.append(title, text);
  document.body.append(box);
}
