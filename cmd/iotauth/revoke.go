package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
)

func newRevokeCmd(getenv func(string) string) *cobra.Command {
	return withOptionFlags(&cobra.Command{
		Use:   "revoke --platform cloudstudio|alimqtt",
		Short: "Delete a Cloud Studio token or unregister an Alibaba device credential",
		Long: `cloudstudio: delete the token an earlier 'iotauth token' kept in the token
store (IOTAUTH_STORE_DIR, needed), on the platform and in the store.
alimqtt: unregister the device credential of --device, releasing its place in
the instance's quota; devices using it can no longer connect.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(cmd, getenv, true)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch s.platform {
			case "cloudstudio":
				if _, err := s.need("store_dir"); err != nil {
					return &settingError{"revoke deletes the Cloud Studio token kept in the token store: " + err.Error()}
				}
				p, err := s.cloudStudio()
				if err != nil {
					return err
				}
				st, err := s.tokenStore()
				if err != nil {
					return err
				}
				key := iotauth.Describe(p).StoreKey
				tok, err := st.Load(cmd.Context(), key)
				if err != nil {
					return failure(err)
				}
				if tok == nil {
					fmt.Fprintln(out, "cloudstudio: no token in the store")
					return nil
				}
				if err := p.Revoke(cmd.Context(), tok); err != nil {
					return platformError(err)
				}
				if err := st.Delete(cmd.Context(), key); err != nil {
					return failure(err)
				}
				fmt.Fprintln(out, "cloudstudio: token revoked")
				return nil
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
	})
}

// withOptionFlags adds the setting flags to cmd and returns it.
func withOptionFlags(cmd *cobra.Command) *cobra.Command {
	addOptionFlags(cmd)
	return cmd
}
