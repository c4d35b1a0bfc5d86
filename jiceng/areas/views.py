from django.http import HttpResponse


def tree(request):
    return HttpResponse("areas")


def map_view(request):
    return HttpResponse("map")
