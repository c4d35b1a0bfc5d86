from django.http import HttpResponse


def import_view(request):
    return HttpResponse("import")
