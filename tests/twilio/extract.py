"""Regenerates message_params.tsv from Twilio's OpenAPI description (../shared/twilio)."""
import json, pathlib, sys

spec_path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/twilio/twilio_api_v2010.json")
spec = json.loads(spec_path.read_text())
op = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
schema = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
lines = [
    "# Form fields of POST /2010-04-01/Accounts/{AccountSid}/Messages.json, extracted from",
    "# Twilio's OpenAPI description (../shared/twilio/twilio_api_v2010.json, twilio/twilio-oai d50069b)",
    "# by tests/twilio/extract.py. The stand-in refuses any other field.",
    "# name<TAB>type<TAB>required",
]
for name, prop in schema["properties"].items():
    lines.append(f"{name}\t{prop.get('type', '')}\t{'required' if name in schema.get('required', []) else ''}")
pathlib.Path(__file__).with_name("message_params.tsv").write_text("\n".join(lines) + "\n")
