// Package camera delivers frames from cameras and files and turns them into RGB images.
//
// A Source yields Frames (pixel bytes with a capture time, a sequence number, a PixelFormat and a
// size); a Decoder converts a Frame to a *preprocess.RGB8, which package camera/preprocess turns into
// a model's input tensor.
package camera
