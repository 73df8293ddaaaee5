"""Write the trial homeserver's configuration into /data on the first start, then run Synapse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from string import Template

DATA = Path("/data")
LOG = """\
version: 1
formatters:
  precise: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  console: {class: logging.StreamHandler, formatter: precise}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
"""


def main() -> None:
    config = DATA / "homeserver.yaml"
    if not config.exists():
        secret = os.environ.get("SYNAPSE_REGISTRATION_SECRET", "")
        if not secret:
            sys.exit("SYNAPSE_REGISTRATION_SECRET is not set (see .env.example)")
        template = Template((Path(__file__).parent / "homeserver.yaml").read_text())
        config.write_text(
            template.substitute(
                server_name=os.environ.get("SYNAPSE_SERVER_NAME", "matrix.localhost"),
                shared_secret=secret,
            )
        )
        (DATA / "log.yaml").write_text(LOG)
        command = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)]
        subprocess.run([*command, "--generate-missing-configs"], check=True)
    os.execv(sys.executable, [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)])


if __name__ == "__main__":
    main()
