package alimqtt

// HeldDeviceCredentials is how many device credentials p keeps.
func HeldDeviceCredentials(p *Provider) int { return p.creds.Len() }
