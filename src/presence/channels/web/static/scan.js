// Reads a QR code with the phone's camera and sends its text with the page's form (`scanning.py` says what it
// means). The browser's own BarcodeDetector where it has one; else ZXing compiled to WebAssembly, served by this
// server (never from a CDN); without a camera, the page's photo and typing forms remain.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var form = document.getElementById("scanned");
  var video = root.querySelector("video");
  var status = root.querySelector("[role=status]");
  var button = document.getElementById("scan-start");
  root.hidden = false;

  function say(text) { status.textContent = text; }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) { return Promise.resolve(null); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) { return null; }
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      return function (source) {
        return detector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }

  function zxingDetector() {
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = root.dataset.reader;
      script.onerror = function () { resolve(null); };
      script.onload = function () {
        var zxing = window.ZXingWASM;
        var wasm = root.dataset.wasm;
        zxing.prepareZXingModule({
          overrides: {locateFile: function (path, prefix) { return path.endsWith(".wasm") ? wasm : prefix + path; }},
          fireImmediately: true
        });
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", {willReadFrequently: true});
        resolve(function (source) {
          if (!source.videoWidth) { return Promise.resolve(null); }
          canvas.width = source.videoWidth;
          canvas.height = source.videoHeight;
          context.drawImage(source, 0, 0);
          var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
          return zxing.readBarcodes(pixels, {formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1})
            .then(function (found) { return found.length && found[0].isValid ? found[0].text : null; });
        });
      };
      document.head.appendChild(script);
    });
  }

  function send(text) {
    form.querySelector("input[name=code]").value = text;
    form.submit();
  }

  button.addEventListener("click", function () {
    button.hidden = true;
    say(root.dataset.starting);
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      return video.play().then(function () {
        return nativeDetector().then(function (found) { return found || zxingDetector(); });
      }).then(function (detect) {
        if (!detect) { throw new Error("no decoder"); }
        say(root.dataset.looking);
        function look() {
          detect(video).then(function (text) {
            if (text) {
              stream.getTracks().forEach(function (track) { track.stop(); });
              send(text);
            } else {
              window.setTimeout(look, 200);
            }
          }).catch(function () { window.setTimeout(look, 400); });
        }
        look();
      });
    }).catch(function () {
      video.hidden = true;
      say(root.dataset.noCamera);
    });
  });
})();
