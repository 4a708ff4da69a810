package daemon

import "errors"

// ErrNotTrainable: the store's samples cannot train a model yet (store.CheckTrainable says why;
// its error is wrapped too).
var ErrNotTrainable = errors.New("daemon: not enough labelled samples to train")
