"""The load stage: a books folder -> `core.records.Books` and located diagnostics.

`books.load_books` is the one entry. Below it, one module a thing: `listing` (which files),
`files` (reading one safely, within `limits`), `yaml_reader` (YAML with lines), `scalars` and
`fields` (values and schemas), `settings`, `contracts` and `contract_parts` (with `block_rules`:
used_before, bonus rules, annual fees; and `client_view`: show_tags, hours), `register` (issued.yaml),
and the logbooks:
`markdown_logbook`, `yaml_logbook` and what both read alike, `logbook_words`; tags by their
names in every language (`tag_names`) and the aliases of hourbook.yaml (`tag_aliases`). Every
problem goes into one `problems.Problems`.
"""
