from django.shortcuts import render


def docs(request):
    return render(request, "api/docs.html", {})
