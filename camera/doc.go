// Package camera delivers frames from cameras and files and turns them into RGB images.
//
//	src, err := camera.Open(ctx, "/dev/video0", camera.Options{Width: 640, Height: 480, FPS: 30})
//	defer src.Close()
//	var dec camera.Decoder
//	var img *preprocess.RGB8
//	for {
//		f, err := src.Next(ctx)
//		if camera.IsTerminal(err) {
//			break // closed, end of a file, or ctx done
//		}
//		if err != nil {
//			log.Print(err) // transient: the next Next reconnects after a backoff delay
//			continue
//		}
//		img, err = dec.Decode(img, f) // f.Data is only valid until the next Next
//		...                            // preprocess.Preprocessor.Run(img, tensor)
//	}
//
// # Sources
//
// A Source yields Frames: pixel bytes with a capture time, a sequence number, a PixelFormat (MJPEG,
// YUYV, GREY, NV12, RGB24) and a size. Open takes a spec string and returns one of:
//
//   - V4L2Source (OpenV4L2): a Video4Linux2 device through github.com/blackjack/webcam, Linux only,
//     by path or name, with format negotiation, the newest frame on each Next, and recovery from
//     timeouts and unplugging. List describes the devices for `ocellus cameras`.
//   - HTTPStream and HTTPSnapshot (OpenHTTP): MJPEG over HTTP (multipart/x-mixed-replace, as
//     ESP32-CAM and IP cameras stream it) and still-image polling, with a read deadline and
//     reconnection.
//   - OpenFolder, OpenMJPEGFile, OpenRawFile: a folder of images, a file of concatenated JPEGs, a raw
//     video file; they loop unless Options.Once.
//   - Demo (NewDemo): synthetic scenes of labelled objects (DemoClass), deterministic from a seed, for
//     running and training without a camera.
//
// Frame.Data belongs to the source until the next Next or Close: sources reuse one buffer, so
// steady-state capture does not allocate per frame. Frame.Clone keeps a frame.
//
// Errors from Next are terminal (ErrClosed, io.EOF, the context's error; see IsTerminal) or transient:
// the source has dropped the broken device or connection and the next call recovers, after a delay
// from Options.Backoff. The sentinel errors in errors.go say what went wrong.
//
// # Decoding
//
// Decoder.Decode converts a Frame to a *preprocess.RGB8 (package camera/preprocess then makes the
// model's input tensor). YUYV and NV12 use the BT.601 limited-range matrix in 16-bit fixed point
// (see YUYVToRGB for the formula; bit-identical to FFmpeg's accurate swscale path on the fixtures in
// testdata). MJPEG frames without Huffman tables, as UVC cameras send them, get the standard tables of
// ITU-T T.81 Annex K.3 (AddHuffmanTables) and are decoded by image/jpeg.
//
// Design decisions are in RATIONALE.md.
package camera
