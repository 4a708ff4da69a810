package daemon

import "github.com/ocellus/ocellus/daemon/starter"

type starterModel struct {
	raw  []byte
	base baseModel
}

// starterBase returns the built-in starter model (package daemon/starter).
func starterBase() (starterModel, error) {
	return starterModel{raw: starter.Model(), base: baseModel{name: "starter", spec: starter.Spec(),
		classes: starter.Labels(), unfreezeLast: starter.UnfreezeLast}}, nil
}
