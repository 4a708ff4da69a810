package daemon

import "github.com/ocellus/ocellus/nn/train/finetune"

// exportONNX writes a trained version as a standalone ONNX model.
func exportONNX(blob []byte, basePath string) ([]byte, error) {
	return finetune.ExportONNX(blob, basePath)
}
