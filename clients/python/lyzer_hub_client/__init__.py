"""Python client for Lyzer Hub: get a key, send events, read metrics. Standard library only.

    from lyzer_hub_client import Client, KeyManager
    keys = KeyManager("https://127.0.0.1:5443", "admin", password, ca_file="data/tls/hub.crt")
    hub = Client("https://127.0.0.1:5443", key_manager=keys)
    hub.track("purchase", distinct_id="u1", properties={"amount": 49.5})
"""

__version__ = "0.1.0"

from .client import Client  # noqa: E402
from .errors import LyzerHubError  # noqa: E402
from .keys import KeyManager  # noqa: E402

__all__ = ["Client", "KeyManager", "LyzerHubError", "__version__"]
