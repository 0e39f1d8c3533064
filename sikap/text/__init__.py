"""From a page to sentences with mentions: targets and aliases, context mentions, segmentation, HTML input,
page furniture, and the article pipeline shared by the service and the batch scorer."""
