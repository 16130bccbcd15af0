"""The shapes of requests and replies (msgspec structs), shared by the API (`lending.http`)
and the pages (`lending.web`), which validate forms with the same inputs. No framework."""
