"""Model cards, compliance reports and the public register: assembly and rendering."""
