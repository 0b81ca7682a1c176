package iotauthtest

import "net/http"

// OceanConnect emulates the platform. (Being built: see the provider's issue.)
type OceanConnect struct {
	Faults
	Counters
	cfg *config
}

func newOceanConnect(cfg *config) *OceanConnect { return &OceanConnect{cfg: cfg} }

func (e *OceanConnect) register(mux *http.ServeMux) {}
