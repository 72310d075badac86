"""Images that cross a trust boundary: one validator for every upload (``validate``) and the
public renditions of evidence frames, with bystanders blurred (``rendition``)."""
