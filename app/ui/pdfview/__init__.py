"""The PDF view of the document editor, the archive preview and the signing screen.

"Page" in this package always means a page of the PDF (a screen of the window is a "place").

How it works:

* :class:`~app.ui.pdfview.scene.DocumentScene` lays the pages out in one vertical column in scene
  units of PDF points: every page centred on x = 0, ``PAGE_GAP`` points between pages and around
  the column. A :class:`~app.ui.pdfview.scene.PageItem` sits at its page's top-left and is exactly
  the page's displayed size, so a child item at (x, y) is at canonical coordinates (points from
  the top-left of the page as the user sees it). Lookups by y are binary searches over the page
  tops.
* :class:`~app.ui.pdfview.view.PageView` shows the scene at ``zoom * 96/72`` logical pixels per
  point and renders only the pages in view: after every scroll, resize or zoom it asks the
  :class:`~app.ui.pdfview.renderer.PageRenderer` for the visible pages it has no image for (at
  ``zoom * 96/72 * render_ratio()`` pixels per point), and drops pending requests for pages that
  left the view. A page that scrolls out of view gives its image back; the
  :class:`~app.ui.pdfview.cache.ImageCache` (an LRU bounded by bytes) keeps recent images so
  scrolling back is instant. After a zoom the pages draw the best cached image scaled until the
  re-render, which waits ``RERENDER_DELAY_MS`` for the zooming to settle.
* :class:`~app.ui.pdfview.renderer.PageRenderer` draws the pages in a **render process** of its
  own (PyMuPDF holds Python's GIL while it draws, 50-100 ms for a 300 dpi scan, which would
  stall the window): requests in a priority queue, images over shared memory, a placeholder for
  a page that cannot be drawn.
* :class:`~app.ui.pdfview.thumbnails.ThumbnailStrip` is the strip of page thumbnails beside the
  editor's view, drawn by the same renderer after the view's own pages.

The modules, read from the bottom: ``renderer``, ``cache``, ``scene``, ``view``, ``thumbnails``.
"""
