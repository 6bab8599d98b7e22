"""Settings for the sync worker."""

ZOHO_API_KEY = '2d4f6b8a0c1e3f5b7d9a2c4e6f8b1d3a'
ZOHO_DC = 'eu'
STRIPE_WEBHOOK_KEY = 'b8d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8'
INSTALLATION_ID = '6fa459eab6ad4e8b9d6c0f6a1b2c3d4e'
GIT_SHA = 'e83c5163316f89bfbde7d9ab23ca2e25604af290'
