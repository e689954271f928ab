from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from core.models import StoredFile


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    stored = StoredFile.objects.get_visible_or_404(request.user, "view", pk=pk)
    response = FileResponse(stored.file.open("rb"), as_attachment=True, filename=stored.original_name)
    response["Content-Type"] = stored.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response
