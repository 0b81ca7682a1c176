package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/cloudstudio"
)

func newRevokeCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke --platform cloudstudio|alimqtt",
		Short: "Delete a Cloud Studio token or unregister an Alibaba device credential",
		Long: `cloudstudio: delete the token an earlier 'iotauth token' kept in the token
store (iotauth in the user's cache directory, or IOTAUTH_STORE_DIR), on the
platform and in the store.
alimqtt: unregister the device credential of --device, releasing its place in
the instance's quota; devices using it can no longer connect.`,
		Example: `  iotauth token --platform cloudstudio > /dev/null   # creates a token, kept in the store
  iotauth revoke --platform cloudstudio                # deletes it
  iotauth mqtt --platform alimqtt --device 'GID_example@@@device-001' > /dev/null
  iotauth revoke --platform alimqtt --device 'GID_example@@@device-001'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(cmd, getenv, true)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch s.platform {
			case "cloudstudio":
				return revokeStoredCloudStudio(cmd.Context(), s, out)
			case "alimqtt":
				device, err := s.need("device")
				if err != nil {
					return err
				}
				c, err := s.aliMQTT()
				if err != nil {
					return err
				}
				if err := c.UnRegisterDeviceCredential(cmd.Context(), device); err != nil {
					return platformError(err)
				}
				fmt.Fprintf(out, "alimqtt: device credential of %s unregistered\n", device)
				return nil
			}
			return &usageError{fmt.Sprintf("revoke: %s has nothing to revoke from here; use --platform cloudstudio or alimqtt", s.platform)}
		},
	}
	addOptionFlags(cmd)
	return cmd
}

// revokeStoredCloudStudio deletes the Cloud Studio token of the token store,
// on the platform and in the store.
func revokeStoredCloudStudio(ctx context.Context, s *settings, out interface{ Write([]byte) (int, error) }) error {
	st, err := s.tokenStore()
	if err != nil {
		return err
	}
	if st == nil {
		return &usageError{"revoke: with --no-store there is no stored Cloud Studio token to revoke"}
	}
	p, err := s.cloudStudio()
	if err != nil {
		return err
	}
	key := iotauth.Describe(p).StoreKey
	tok, err := st.Load(ctx, key)
	if err != nil {
		return failure(fmt.Errorf("token store: %w", err))
	}
	if tok == nil {
		fmt.Fprintln(out, "cloudstudio: no token in the store; nothing to revoke")
		return nil
	}
	if err := revokeCloudStudio(ctx, p, tok); err != nil {
		return platformError(err)
	}
	if err := st.Delete(ctx, key); err != nil {
		return failure(fmt.Errorf("token store: %w", err))
	}
	fmt.Fprintln(out, "cloudstudio: token revoked")
	return nil
}

// revokeCloudStudio deletes tok on the platform. A refusal (FaultCode 8001:
// already deleted, or not allowed) is an iotauth.ErrRevokeRefused, returned
// so that a token that may live on is not forgotten.
func revokeCloudStudio(ctx context.Context, p *cloudstudio.Provider, tok *iotauth.Token) error {
	return p.Revoke(ctx, tok)
}
