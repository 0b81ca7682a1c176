package iotauthtest

import "net/http"

// Alibaba emulates the platform. (Being built: see the provider's issue.)
type Alibaba struct {
	Faults
	Counters
	cfg *config
}

func newAlibaba(cfg *config) *Alibaba { return &Alibaba{cfg: cfg} }

func (e *Alibaba) register(mux *http.ServeMux) {}
