package iotauthtest

import "net/http"

// MXCHIP emulates the platform. (Being built: see the provider's issue.)
type MXCHIP struct {
	Faults
	Counters
	cfg *config
}

func newMXCHIP(cfg *config) *MXCHIP { return &MXCHIP{cfg: cfg} }

func (e *MXCHIP) register(mux *http.ServeMux) {}
