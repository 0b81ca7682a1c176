package iotauthtest

import "net/http"

// CloudStudio emulates the platform. (Being built: see the provider's issue.)
type CloudStudio struct {
	Faults
	Counters
	cfg *config
}

func newCloudStudio(cfg *config) *CloudStudio { return &CloudStudio{cfg: cfg} }

func (e *CloudStudio) register(mux *http.ServeMux) {}
